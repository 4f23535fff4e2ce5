package dev.meridian.events.inference;

import dev.meridian.events.MeridianEvent;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/** Its owner cancelled a job before it settled; work already done is discarded. */
public record InferenceJobCancelled(UUID jobId, UUID userId, JobType jobType, String model, Instant cancelledAt)
        implements MeridianEvent {

    public InferenceJobCancelled {
        Objects.requireNonNull(jobId, "jobId");
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(jobType, "jobType");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(cancelledAt, "cancelledAt");
    }

    @Override
    public String subject() {
        return jobId.toString();
    }
}
