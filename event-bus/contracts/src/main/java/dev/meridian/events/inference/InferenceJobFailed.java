package dev.meridian.events.inference;

import dev.meridian.events.MeridianEvent;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/** A job gave up after {@code attempts} tries; {@code errorCode} is machine-readable, {@code message} for humans. */
public record InferenceJobFailed(UUID jobId, UUID userId, JobType jobType, String model, String errorCode,
                                 String message, int attempts, Instant failedAt) implements MeridianEvent {

    public InferenceJobFailed {
        Objects.requireNonNull(jobId, "jobId");
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(jobType, "jobType");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(errorCode, "errorCode");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(failedAt, "failedAt");
    }

    @Override
    public String subject() {
        return jobId.toString();
    }
}
