package dev.meridian.user;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;

/** An RSA key pair for access tokens; the private half is stored encrypted with the master key. */
@Entity
@Table(name = "signing_keys")
public class SigningKey {

    @Id
    public String kid;

    public byte[] publicKey;

    @Column(name = "private_key_enc")
    public byte[] privateKeyEncrypted;

    public Instant createdAt;

    /** Set when a newer key took over signing; the public key stays published until its tokens expired. */
    public Instant retiredAt;
}
