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

    Deadlines deadlines();

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

        /**
         * How often each instance reloads the keys from the database, so a key rotated on one instance is published
         * and used by every instance within this interval.
         */
        @WithDefault("PT10S")
        Duration refreshInterval();
    }

    interface Login {
        /** Failed logins before an account backs off. */
        @WithDefault("5")
        int freeAttempts();

        /** Longest back-off: the delay doubles per failure up to this, so no one is locked out for good. */
        @WithDefault("PT15M")
        Duration maxLock();

        /**
         * Failures from one address are forgotten after this long without a new one (and no back-off running), so
         * the bookkeeping stays bounded and an address that stopped guessing starts afresh.
         */
        @WithDefault("P1D")
        Duration forgetAfter();

        /** How often forgotten failure rows are deleted. */
        @WithDefault("10m")
        String pruneInterval();
    }

    /** How long a request waits for a dependency before it answers 503 with Retry-After. */
    interface Deadlines {
        /**
         * A deny-list write (revocation; a healthy Redis answers in well under a millisecond). Short enough that a
         * route that also waited for the deny-list read (0.25 s, meridian.deny-list.read-timeout) and the database
         * still answers within a second while Redis is stalled.
         */
        @WithDefault("PT0.4S")
        Duration redisWrite();

        /**
         * A deny-list write in a request whose own deny-list read just missed its deadline: Redis is known to be
         * stalled, so the write gets one short chance instead of the full deadline (the client retries after 503).
         */
        @WithDefault("PT0.1S")
        Duration redisWriteAfterStall();

        /**
         * All database work of one request, including waiting for a pooled connection (the reactive pool has no
         * wait timeout of its own). Each statement is also cut by PostgreSQL's statement_timeout.
         */
        @WithDefault("PT3S")
        Duration database();

        /** What Retry-After tells a client refused with 503. */
        @WithDefault("PT2S")
        Duration retryAfter();
    }

    interface BootstrapAdmin {
        /** Created at start when set and no admin exists yet. */
        Optional<String> email();

        Optional<String> password();
    }
}
