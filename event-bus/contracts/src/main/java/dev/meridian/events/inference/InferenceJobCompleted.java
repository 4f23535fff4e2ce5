package dev.meridian.events.inference;

import dev.meridian.events.MeridianEvent;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/** A job finished; its result is downloadable from {@code GET /v1/jobs/{jobId}/result}. */
public record InferenceJobCompleted(UUID jobId, UUID userId, JobType jobType, String model, String modelVersion,
                                    int itemCount, long durationMs, Instant completedAt) implements MeridianEvent {

    public InferenceJobCompleted {
        Objects.requireNonNull(jobId, "jobId");
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(jobType, "jobType");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(modelVersion, "modelVersion");
        Objects.requireNonNull(completedAt, "completedAt");
    }

    @Override
    public String subject() {
        return jobId.toString();
    }
}
