package dev.meridian.inference.batch;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;
import java.util.UUID;

/** A file of the Files API: an uploaded batch input (its bytes here) or a batch's output or error file (rendered). */
@Entity
@Table(name = "files")
public class BatchFile {

    public static final String INPUT = "batch";
    public static final String OUTPUT = "batch_output";

    @Id
    public String id;

    public UUID userId;

    public String purpose;

    public String filename;

    public long bytes;

    /** An input file's JSONL; null for output and error files. */
    public byte[] content;

    /** The batch an output or error file belongs to. */
    public String batchId;

    public Instant createdAt;

    public static String newId() {
        return "file-" + UUID.randomUUID().toString().replace("-", "");
    }
}
