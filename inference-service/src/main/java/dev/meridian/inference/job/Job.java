package dev.meridian.inference.job;

import dev.meridian.events.inference.JobType;
import jakarta.persistence.Basic;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;

import java.time.Instant;
import java.util.UUID;

/** An async inference job: its inputs, progress and, once done, its result. */
@Entity
@Table(name = "jobs")
public class Job {

    public enum Status {
        PENDING, RUNNING, COMPLETED, FAILED, CANCELLED;

        public boolean settled() {
            return this == COMPLETED || this == FAILED || this == CANCELLED;
        }
    }

    @Id
    public UUID id;

    public UUID userId;

    /** The event-bus JobType's wire name, e.g. embed_batch. */
    public String type;

    public String model;

    public String modelVersion;

    @Enumerated(EnumType.STRING)
    public Status status;

    /** JSON: {"truncate": bool, "inputs": [strings]} or {"truncate": bool, "documents": [{id, text, metadata}]}. */
    public byte[] inputs;

    public int itemCount;

    public int doneCount;

    public int attempts;

    /**
     * item_count vectors, float32 little-endian, back to back: tens of megabytes for a large job, so loaded only by
     * the reads that need it ({@code JobRepository.resultOf}), never with the row (a status poll, a list page).
     */
    @Basic(fetch = FetchType.LAZY)
    public byte[] result;

    public String errorCode;

    public String errorMessage;

    public Instant createdAt;

    public Instant startedAt;

    public Instant finishedAt;

    /** The collection an index_documents job fills. */
    public String collection;

    /** The instance that last started running the job. */
    public String worker;

    @Version
    public int version;

    public JobType jobType() {
        return JobType.valueOf(type.toUpperCase(java.util.Locale.ROOT));
    }

    /** {@code id:version}, as responses name the model that ran. */
    public String qualifiedModel() {
        return model + ":" + modelVersion;
    }
}
