package dev.meridian.user.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

@ConfigMapping(prefix = "meridian.users")
public interface UserServiceConfig {

    Password password();

    Jwt jwt();

    Keys keys();

    Login login();

    BootstrapAdmin bootstrapAdmin();

    interface Password {
        /** argon2id (default, OWASP: 19 MiB, 2 iterations, 1 lane) or bcrypt. Stored hashes of either still verify. */
        @WithDefault("argon2id")
        Algorithm algorithm();

        @WithDefault("19456")
        int argon2MemoryKib();

        @WithDefault("2")
        int argon2Iterations();

        @WithDefault("1")
        int argon2Parallelism();

        @WithDefault("12")
        int bcryptCost();

        enum Algorithm { ARGON2ID, BCRYPT }
    }

    interface Jwt {
        @WithDefault("https://meridian.dev/user-service")
        String issuer();

        @WithDefault("meridian")
        String audience();

        @WithDefault("PT15M")
        Duration accessTokenTtl();

        @WithDefault("P30D")
        Duration refreshTokenTtl();

        /** Allowed clock difference between issuer and verifiers. */
        @WithDefault("PT30S")
        Duration clockSkew();
    }

    interface Keys {
        /** Base64 of 32 random bytes; encrypts the JWT signing keys at rest. Never logged. */
        String masterKey();

        @WithDefault("2048")
        int rsaBits();
    }

    interface Login {
        /** Failed logins before an account backs off. */
        @WithDefault("5")
        int freeAttempts();

        /** Longest back-off: the delay doubles per failure up to this, so no one is locked out for good. */
        @WithDefault("PT15M")
        Duration maxLock();
    }

    interface BootstrapAdmin {
        /** Created at start when set and no admin exists yet. */
        Optional<String> email();

        Optional<String> password();
    }
}
