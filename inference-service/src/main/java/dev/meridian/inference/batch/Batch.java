package dev.meridian.inference.batch;

import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

/**
 * A batch of embedding requests from an uploaded JSONL file, run as one embed_batch job. Its lines were checked when
 * it was created: a file that cannot be run fails the batch at once; a line the endpoint would refuse goes to the
 * error file and the rest run.
 */
@Entity
@Table(name = "batches")
public class Batch {

    /** What the row itself says; a running batch's job tells the rest (cancelled, failed). */
    public enum Status {
        IN_PROGRESS, COMPLETED, FAILED
    }

    @Id
    public String id;

    public UUID userId;

    public String endpoint;

    public String inputFileId;

    public String completionWindow;

    @Enumerated(EnumType.STRING)
    public Status status;

    /** The job running the valid lines; null when there were none (or the file failed). */
    public UUID jobId;

    /** JSON {@link dev.meridian.inference.batch.service.BatchPlan}. */
    public byte[] plan;

    /** JSON list of {@link dev.meridian.inference.batch.service.BatchPlan.FileError}, when the file failed. */
    public byte[] errors;

    /** JSON object of the caller's metadata (at most 16 string pairs, as OpenAI). */
    public byte[] metadata;

    public String outputFileId;

    public String errorFileId;

    public Instant createdAt;

    /** When the batch failed validation or completed (its job's end). */
    public Instant finishedAt;

    @Version
    public int version;

    public static String newId() {
        return "batch_" + UUID.randomUUID().toString().replace("-", "");
    }

    /** The same batch always names the same output and error files, so two finalizations cannot make two. */
    public String fileId(String kind) {
        return "file-" + UUID.nameUUIDFromBytes((id + "/" + kind).getBytes(StandardCharsets.UTF_8)).toString()
                .replace("-", "");
    }
}
