import de.mkammerer.argon2.Argon2;
import de.mkammerer.argon2.Argon2Factory;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.bouncycastle.crypto.params.Argon2Parameters;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

/**
 * Cost of one password hash with the OWASP Argon2id parameters (m=19456 KiB, t=2, p=1): the reference C library
 * (argon2-jvm, what user-service uses) against BouncyCastle's pure-Java Argon2, plus bcrypt cost 12 for scale.
 * All in one JVM, interleaved rounds, after a warm-up round. Run with hashing.sh.
 */
public class HashingBench {

    private static final int N = 20;

    public static void main(String[] args) {
        Argon2 nativeArgon2 = Argon2Factory.create(Argon2Factory.Argon2Types.ARGON2id);
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        char[] password = "correct horse battery".toCharArray();
        for (int round = 0; round < 4; round++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < N; i++) {
                nativeArgon2.hash(2, 19456, 1, password.clone());
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < N; i++) {
                Argon2BytesGenerator generator = new Argon2BytesGenerator();
                generator.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                        .withVersion(Argon2Parameters.ARGON2_VERSION_13).withMemoryAsKB(19456).withIterations(2)
                        .withParallelism(1).withSalt(salt).build());
                generator.generateBytes("correct horse battery".getBytes(StandardCharsets.UTF_8), new byte[32]);
            }
            long t2 = System.nanoTime();
            for (int i = 0; i < N / 4; i++) {
                OpenBSDBCrypt.generate("2b", password, salt, 12);
            }
            long t3 = System.nanoTime();
            double nativeMs = (t1 - t0) / 1e6 / N;
            double javaMs = (t2 - t1) / 1e6 / N;
            System.out.printf("%s argon2id native %.1f ms/hash, BouncyCastle %.1f ms/hash (native %.2fx faster),"
                            + " bcrypt-12 %.1f ms/hash%n", round == 0 ? "warm-up" : "round " + round, nativeMs, javaMs,
                    javaMs / nativeMs, (t3 - t2) / 1e6 / (N / 4));
        }
    }
}
