package dev.meridian.user.service;

import dev.meridian.user.config.UserServiceConfig;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pure hashing logic (no Vert.x needed for the blocking halves). */
class PasswordHasherTest {

    @Test
    void argon2idUsesOwaspParametersInPhcFormatAndVerifies() {
        PasswordHasher hasher = hasher(UserServiceConfig.Password.Algorithm.ARGON2ID);
        String hash = hasher.hashBlocking("correct horse battery");
        assertTrue(hash.startsWith("$argon2id$v=19$m=19456,t=2,p=1$"), hash);
        assertTrue(hasher.verifyBlocking("correct horse battery", hash));
        assertFalse(hasher.verifyBlocking("correct horse batterY", hash));
        assertFalse(hash.equals(hasher.hashBlocking("correct horse battery")), "salts must differ");
    }

    @Test
    void bcryptWorksAndEitherAlgorithmVerifiesTheOther() {
        PasswordHasher bcrypt = hasher(UserServiceConfig.Password.Algorithm.BCRYPT);
        PasswordHasher argon = hasher(UserServiceConfig.Password.Algorithm.ARGON2ID);
        String hash = bcrypt.hashBlocking("correct horse battery");
        assertTrue(hash.startsWith("$2b$12$"), hash);
        assertTrue(argon.verifyBlocking("correct horse battery", hash), "switching algorithm must keep old hashes valid");
        assertTrue(bcrypt.verifyBlocking("correct horse battery", argon.hashBlocking("correct horse battery")));
        assertFalse(bcrypt.verifyBlocking("wrong", hash));
    }

    @Test
    void erasedOrGarbageHashesNeverVerify() {
        PasswordHasher hasher = hasher(UserServiceConfig.Password.Algorithm.ARGON2ID);
        assertFalse(hasher.verifyBlocking("anything", "!erased"));
        assertFalse(hasher.verifyBlocking("anything", null));
        assertFalse(hasher.verifyBlocking("anything", "$2b$12$short"));
        assertFalse(hasher.verifyBlocking("anything", "$argon2id$v=19$m=19456,t=2,p=1$garbage"));
    }

    private static PasswordHasher hasher(UserServiceConfig.Password.Algorithm algorithm) {
        Map<String, Object> values = Map.of("algorithm", algorithm, "argon2MemoryKib", 19456, "argon2Iterations", 2,
                "argon2Parallelism", 1, "bcryptCost", 12);
        UserServiceConfig.Password password = (UserServiceConfig.Password) Proxy.newProxyInstance(
                PasswordHasherTest.class.getClassLoader(), new Class<?>[] {UserServiceConfig.Password.class},
                (proxy, method, args) -> values.get(method.getName()));
        UserServiceConfig config = (UserServiceConfig) Proxy.newProxyInstance(
                PasswordHasherTest.class.getClassLoader(), new Class<?>[] {UserServiceConfig.class},
                (proxy, method, args) -> method.getName().equals("password") ? password : null);
        return new PasswordHasher(config, null);
    }
}
