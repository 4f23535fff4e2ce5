package dev.meridian.user.service;

import dev.meridian.user.config.UserServiceConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.bouncycastle.crypto.params.Argon2Parameters;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Password hashing with Argon2id (PHC string format) or bcrypt, always on a worker thread: a hash costs tens of
 * milliseconds of CPU and must never run on the event loop. Verification reads the algorithm and parameters from the
 * stored hash, so changing the configured algorithm or cost keeps old passwords working.
 */
@ApplicationScoped
public class PasswordHasher {

    private static final Pattern PHC = Pattern.compile(
            "\\$argon2id\\$v=19\\$m=(\\d+),t=(\\d+),p=(\\d+)\\$([A-Za-z0-9+/]+)\\$([A-Za-z0-9+/]+)");
    private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getDecoder();

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
        byte[] salt = new byte[16];
        random.nextBytes(salt);
        if (config.algorithm() == UserServiceConfig.Password.Algorithm.BCRYPT) {
            return OpenBSDBCrypt.generate("2b", password.toCharArray(), salt, config.bcryptCost());
        }
        int m = config.argon2MemoryKib();
        int t = config.argon2Iterations();
        int p = config.argon2Parallelism();
        byte[] hash = argon2(password, salt, m, t, p, 32);
        return "$argon2id$v=19$m=" + m + ",t=" + t + ",p=" + p + "$" + B64.encodeToString(salt) + "$"
                + B64.encodeToString(hash);
    }

    boolean verifyBlocking(String password, String stored) {
        if (stored == null) {
            return false;
        }
        if (stored.startsWith("$2")) {
            try {
                return OpenBSDBCrypt.checkPassword(stored, password.toCharArray());
            } catch (RuntimeException e) {
                return false; // malformed stored hash (BouncyCastle throws DataLengthException and friends)
            }
        }
        Matcher phc = PHC.matcher(stored);
        if (!phc.matches()) {
            return false; // e.g. an erased account's unusable hash
        }
        byte[] expected = B64D.decode(phc.group(5));
        byte[] actual = argon2(password, B64D.decode(phc.group(4)), Integer.parseInt(phc.group(1)),
                Integer.parseInt(phc.group(2)), Integer.parseInt(phc.group(3)), expected.length);
        return MessageDigest.isEqual(expected, actual);
    }

    private static byte[] argon2(String password, byte[] salt, int memoryKib, int iterations, int parallelism, int length) {
        Argon2Parameters params = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(memoryKib)
                .withIterations(iterations)
                .withParallelism(parallelism)
                .withSalt(salt)
                .build();
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(params);
        byte[] out = new byte[length];
        generator.generateBytes(password.getBytes(StandardCharsets.UTF_8), out);
        return out;
    }
}
