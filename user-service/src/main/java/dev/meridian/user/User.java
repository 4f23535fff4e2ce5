package dev.meridian.user;

import dev.meridian.events.user.UserStatus;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

@Entity
@Table(name = "users")
public class User {

    public static final String ROLE_USER = "user";
    public static final String ROLE_ADMIN = "admin";

    @Id
    public UUID id;

    /** Normalised: trimmed, lower case. */
    public String email;

    public String passwordHash;

    public String displayName;

    public boolean admin;

    @Enumerated(EnumType.STRING)
    public Tier tier = Tier.FREE;

    @Enumerated(EnumType.STRING)
    public UserStatus status = UserStatus.ACTIVE;

    /** No longer used: login failures are counted per (account, client address) in login_failures. */
    public int failedLogins;

    /** No longer used, see {@link #failedLogins}. */
    public Instant lockedUntil;

    /**
     * The last time every token of this user was revoked (role, tier or status change, erasure). The deny-list entry
     * is written from it, and rewritten from it when a request is retried after a failed write; tokens issued after
     * it carry a later {@code iat} second so that they are not caught by it.
     */
    public Instant tokensRevokedAt;

    @Version
    public long version;

    public Instant createdAt;

    public Instant updatedAt;

    public Instant erasedAt;

    /**
     * Revokes every token issued so far: tokens issued after the previous revocation carry at least its next second
     * as {@code iat} (see TokenService), so this one must cover that second too. Several revocations within one
     * second therefore move it ahead by a second each; it never lags behind a token already issued.
     */
    public void revokeTokens(Instant now) {
        Instant after = tokensRevokedAt == null ? now : Instant.ofEpochSecond(tokensRevokedAt.getEpochSecond() + 1);
        tokensRevokedAt = now.isAfter(after) ? now : after;
    }

    public List<String> roles() {
        return admin ? List.of(ROLE_USER, ROLE_ADMIN) : List.of(ROLE_USER);
    }

    public boolean isActive() {
        return status == UserStatus.ACTIVE;
    }

    public static String normaliseEmail(String email) {
        return email == null ? null : email.trim().toLowerCase(java.util.Locale.ROOT);
    }
}
