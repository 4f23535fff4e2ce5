package dev.meridian.inference.user;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;
import java.util.UUID;

/** A user as users.v1 described them last: tier for quotas, status (active, disabled, erased). */
@Entity
@Table(name = "user_profiles")
public class UserProfile {

    @Id
    public UUID userId;

    public String tier;

    /** The event-bus UserStatus wire name: active, disabled, erased. */
    public String status;

    /** user-service's account version from UserUpdated (0 from UserRegistered): older updates are ignored. */
    public long version;

    public Instant updatedAt;
}
