package dev.meridian.events.user;

import dev.meridian.events.MeridianEvent;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/** The account's state after a change (state transfer, not a diff); {@code version} orders updates of one user. */
public record UserUpdated(UUID userId, long version, String displayName, List<String> roles, String tier,
                          UserStatus status, Instant updatedAt) implements MeridianEvent {

    public UserUpdated {
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(displayName, "displayName");
        roles = List.copyOf(Objects.requireNonNull(roles, "roles"));
        Objects.requireNonNull(tier, "tier");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(updatedAt, "updatedAt");
    }

    @Override
    public String subject() {
        return userId.toString();
    }
}
