package dev.meridian.events.inference;

import dev.meridian.events.MeridianEvent;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * An async job was accepted. The inputs stay in the job row (they can be large); workers load them by job id.
 * {@code collection} is set for index_documents jobs only.
 */
public record InferenceJobRequested(UUID jobId, UUID userId, JobType jobType, String model, int itemCount,
                                    String collection, Instant requestedAt) implements MeridianEvent {

    public InferenceJobRequested {
        Objects.requireNonNull(jobId, "jobId");
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(jobType, "jobType");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(requestedAt, "requestedAt");
    }

    @Override
    public String subject() {
        return jobId.toString();
    }
}
