package dev.meridian.user;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;
import java.util.UUID;

/** A machine credential ({@code mk_...}); only its SHA-256 and a short visible prefix are stored. */
@Entity
@Table(name = "api_keys")
public class ApiKey {

    @Id
    public UUID id;

    public UUID userId;

    public String name;

    public String prefix;

    public byte[] keyHash;

    public Instant createdAt;

    public Instant expiresAt;

    public Instant lastUsedAt;

    public Instant revokedAt;

    public boolean usableAt(Instant now) {
        return revokedAt == null && (expiresAt == null || expiresAt.isAfter(now));
    }
}
