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

    public int failedLogins;

    public Instant lockedUntil;

    @Version
    public long version;

    public Instant createdAt;

    public Instant updatedAt;

    public Instant erasedAt;

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
