package dev.meridian.events.user;

import dev.meridian.events.MeridianEvent;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/** A new account exists. Carries no email or password material: subscribers get identity, roles and tier only. */
public record UserRegistered(UUID userId, String displayName, List<String> roles, String tier, Instant registeredAt)
        implements MeridianEvent {

    public UserRegistered {
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(displayName, "displayName");
        roles = List.copyOf(Objects.requireNonNull(roles, "roles"));
        Objects.requireNonNull(tier, "tier");
        Objects.requireNonNull(registeredAt, "registeredAt");
    }

    @Override
    public String subject() {
        return userId.toString();
    }
}
