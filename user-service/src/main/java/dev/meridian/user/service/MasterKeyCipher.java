package dev.meridian.user.service;

import dev.meridian.user.config.UserServiceConfig;
import jakarta.enterprise.context.ApplicationScoped;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Seals secrets user-service must read back (signing keys' private halves, webhook signing secrets) with AES-256-GCM
 * under the master key, so a copy of the database alone reveals none of them. Stored form: 12-byte IV + ciphertext.
 */
@ApplicationScoped
public class MasterKeyCipher {

    private final SecretKeySpec masterKey;
    private final SecureRandom random = new SecureRandom();

    public MasterKeyCipher(UserServiceConfig config) {
        byte[] master;
        try {
            master = Base64.getDecoder().decode(config.keys().masterKey().trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("meridian.users.keys.master-key must be base64 (32 random bytes)");
        }
        if (master.length != 32) {
            throw new IllegalStateException("meridian.users.keys.master-key must decode to 32 bytes, got " + master.length);
        }
        this.masterKey = new SecretKeySpec(master, "AES");
    }

    public byte[] encrypt(byte[] plain) throws GeneralSecurityException {
        byte[] iv = new byte[12];
        random.nextBytes(iv);
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.ENCRYPT_MODE, masterKey, new GCMParameterSpec(128, iv));
        byte[] sealed = cipher.doFinal(plain);
        return ByteBuffer.allocate(iv.length + sealed.length).put(iv).put(sealed).array();
    }

    public byte[] decrypt(byte[] stored) throws GeneralSecurityException {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.DECRYPT_MODE, masterKey, new GCMParameterSpec(128, stored, 0, 12));
        return cipher.doFinal(stored, 12, stored.length - 12);
    }

    /** A text secret sealed and base64-encoded, for a text column. */
    public String seal(String secret) {
        try {
            return Base64.getEncoder().encodeToString(encrypt(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is part of every JDK", e);
        }
    }

    public String open(String sealed) {
        try {
            return new String(decrypt(Base64.getDecoder().decode(sealed)), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("a sealed secret does not open with this master key", e);
        }
    }
}
