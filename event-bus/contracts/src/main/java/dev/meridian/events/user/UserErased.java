package dev.meridian.events.user;

import dev.meridian.events.MeridianEvent;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/** GDPR erasure: every subscriber deletes what it holds about this user. */
public record UserErased(UUID userId, Instant erasedAt) implements MeridianEvent {

    public UserErased {
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(erasedAt, "erasedAt");
    }

    @Override
    public String subject() {
        return userId.toString();
    }
}
