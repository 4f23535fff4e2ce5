package dev.meridian.user.service;

import de.mkammerer.argon2.Argon2;
import de.mkammerer.argon2.Argon2Factory;
import dev.meridian.user.config.UserServiceConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

import java.security.SecureRandom;

/**
 * Password hashing with Argon2id (the reference C implementation through argon2-jvm; PHC string format) or bcrypt,
 * always on a worker thread: a hash costs tens of milliseconds of CPU and must never run on the event loop.
 * Verification reads the algorithm and parameters from the stored hash, so changing the configured algorithm or cost
 * keeps old passwords working.
 */
@ApplicationScoped
public class PasswordHasher {

    private static final Argon2 ARGON2 = Argon2Factory.create(Argon2Factory.Argon2Types.ARGON2id);

    private final UserServiceConfig.Password config;
    private final Vertx vertx;
    private final SecureRandom random = new SecureRandom();
    /** Verified against on unknown emails, so they cost the same time as a wrong password. */
    private final String dummyHash;

    public PasswordHasher(UserServiceConfig config, Vertx vertx) {
        this.config = config.password();
        this.vertx = vertx;
        this.dummyHash = hashBlocking("dummy-password-" + random.nextLong());
    }

    public Uni<String> hash(String password) {
        return vertx.executeBlocking(Uni.createFrom().item(() -> hashBlocking(password)), false);
    }

    public Uni<Boolean> verify(String password, String hash) {
        return vertx.executeBlocking(Uni.createFrom().item(() -> verifyBlocking(password, hash)), false);
    }

    /** Burns the time of one verification and answers false. */
    public Uni<Boolean> verifyDummy(String password) {
        return verify(password, dummyHash).map(ignored -> false);
    }

    String hashBlocking(String password) {
        if (config.algorithm() == UserServiceConfig.Password.Algorithm.BCRYPT) {
            byte[] salt = new byte[16];
            random.nextBytes(salt);
            return OpenBSDBCrypt.generate("2b", password.toCharArray(), salt, config.bcryptCost());
        }
        char[] chars = password.toCharArray();
        try {
            return ARGON2.hash(config.argon2Iterations(), config.argon2MemoryKib(), config.argon2Parallelism(), chars);
        } finally {
            ARGON2.wipeArray(chars);
        }
    }

    boolean verifyBlocking(String password, String stored) {
        if (stored == null) {
            return false;
        }
        try {
            if (stored.startsWith("$2")) {
                return OpenBSDBCrypt.checkPassword(stored, password.toCharArray());
            }
            if (stored.startsWith("$argon2id$")) {
                char[] chars = password.toCharArray();
                try {
                    return ARGON2.verify(stored, chars);
                } finally {
                    ARGON2.wipeArray(chars);
                }
            }
        } catch (RuntimeException e) {
            return false; // a malformed stored hash never verifies
        }
        return false; // e.g. an erased account's unusable hash
    }
}
