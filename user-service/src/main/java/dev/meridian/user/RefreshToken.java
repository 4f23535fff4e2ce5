package dev.meridian.user;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;
import java.util.UUID;

/** One refresh token of a login's family; only its SHA-256 is stored. */
@Entity
@Table(name = "refresh_tokens")
public class RefreshToken {

    @Id
    public UUID id;

    public UUID userId;

    public UUID familyId;

    public byte[] tokenHash;

    public Instant createdAt;

    public Instant expiresAt;

    public Instant usedAt;

    public Instant revokedAt;
}
