package dev.meridian.inference.batch.service;

import dev.meridian.inference.batch.BatchFile;
import dev.meridian.inference.batch.repository.BatchFileRepository;
import dev.meridian.inference.service.Caller;
import dev.meridian.inference.service.DatabaseDeadline;
import dev.meridian.inference.service.InferenceException;
import dev.meridian.inference.user.service.QuotaService;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.buffer.Buffer;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/** The Files API for batches: uploads (size and count bounded per tier), reads, deletes. */
@ApplicationScoped
public class BatchFileService {

    private final DatabaseDeadline database;
    private final BatchFileRepository files;
    private final QuotaService quotas;
    private final BatchService batches;

    public BatchFileService(DatabaseDeadline database, BatchFileRepository files, QuotaService quotas,
                            BatchService batches) {
        this.database = database;
        this.files = files;
        this.quotas = quotas;
        this.batches = batches;
    }

    public Uni<BatchFile> upload(Caller caller, String purpose, String filename, byte[] content) {
        if (!BatchFile.INPUT.equals(purpose)) {
            throw InferenceException.invalid("purpose", "invalid_value", "'purpose' must be \"batch\" (the only"
                    + " purpose this service has files for)");
        }
        if (content.length == 0) {
            throw InferenceException.invalid("file", "invalid_value", "the file is empty");
        }
        BatchFile file = new BatchFile();
        file.id = BatchFile.newId();
        file.userId = caller.userId();
        file.purpose = purpose;
        file.filename = filename == null || filename.isBlank() ? "upload.jsonl"
                : filename.length() > 255 ? filename.substring(0, 255) : filename;
        file.bytes = content.length;
        file.content = content;
        file.createdAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
        // count-then-insert under the user's quota lock: concurrent uploads cannot all pass the count
        return database.transaction(() -> quotas.ofLocked(caller.userId(), caller.tier()).flatMap(limits -> {
            if (content.length > limits.quota().maxFileBytes()) {
                throw new InferenceException(413, "invalid_request_error", "file_too_large", "file", "the file has "
                        + content.length + " bytes; the " + limits.tier() + " tier allows at most "
                        + limits.quota().maxFileBytes(), null);
            }
            return files.countUploads(caller.userId()).flatMap(kept -> {
                if (kept >= limits.quota().maxFiles()) {
                    throw InferenceException.invalid("file", "file_limit_reached", "you keep " + kept
                            + " files; the " + limits.tier() + " tier allows " + limits.quota().maxFiles()
                            + ": delete some first");
                }
                return files.persist(file);
            });
        }));
    }

    public Uni<BatchFile> get(Caller caller, String id) {
        return database.session(() -> files.findById(id)).map(file -> visible(caller, id, file, null));
    }

    public Uni<List<BatchFile>> list(Caller caller, String purpose, String after, int limit) {
        return database.session(() -> (after == null ? Uni.createFrom().item((BatchFile) null) : files.findById(after))
                .flatMap(last -> {
                    if (after != null) {
                        visible(caller, after, last, "after");
                    }
                    return files.page(caller.userId(), purpose, last == null ? null : last.createdAt, after, limit);
                }));
    }

    public Uni<Void> delete(Caller caller, String id) {
        return database.transaction(() -> files.findById(id).flatMap(file -> {
            visible(caller, id, file, null);
            return files.delete(file);
        }));
    }

    /** An upload's bytes as stored; an output or error file rendered from its batch. */
    public Uni<Multi<Buffer>> content(Caller caller, String id) {
        return get(caller, id).flatMap(file -> file.content != null
                ? Uni.createFrom().item(Multi.createFrom().item(Buffer.buffer(file.content)))
                : batches.content(caller, file));
    }

    /** Another user's file answers exactly like a missing one. */
    static BatchFile visible(Caller caller, String id, BatchFile file, String param) {
        if (file == null || !caller.mayRead(file.userId)) {
            throw new InferenceException(404, "invalid_request_error", "file_not_found", param, "no file " + id, null);
        }
        return file;
    }
}
