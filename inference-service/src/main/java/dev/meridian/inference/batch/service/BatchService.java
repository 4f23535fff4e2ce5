package dev.meridian.inference.batch.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.meridian.deadline.CallerContext;
import dev.meridian.events.inference.JobType;
import dev.meridian.inference.batch.Batch;
import dev.meridian.inference.batch.BatchFile;
import dev.meridian.inference.batch.repository.BatchFileRepository;
import dev.meridian.inference.batch.repository.BatchRepository;
import dev.meridian.inference.batch.service.BatchPlan.FileError;
import dev.meridian.inference.job.Job;
import dev.meridian.inference.job.repository.JobRepository;
import dev.meridian.inference.job.service.JobService;
import dev.meridian.inference.service.Caller;
import dev.meridian.inference.service.DatabaseDeadline;
import dev.meridian.inference.service.InferenceException;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.buffer.Buffer;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.exception.ConstraintViolationException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/**
 * Batches of the OpenAI Batch API over embed_batch jobs. Creating one checks its file and, if it can run, creates the
 * batch and its job in one transaction. A batch's state is its job's: the first read after the job completed
 * finalizes it (its output and error files are recorded, whichever instance or request gets there first).
 */
@ApplicationScoped
public class BatchService {

    public static final String ENDPOINT = "/v1/embeddings";
    public static final String WINDOW = "24h";

    /** A batch as its caller sees it: the row and, while it has one, its job. */
    public record BatchState(Batch batch, Job job, BatchPlan plan, List<FileError> errors, Map<String, String> metadata) {
    }

    private final DatabaseDeadline database;
    private final BatchRepository batches;
    private final BatchFileRepository files;
    private final JobRepository jobs;
    private final JobService jobService;
    private final BatchValidator validator;
    private final BatchOutput output;
    private final ObjectMapper json;

    public BatchService(DatabaseDeadline database, BatchRepository batches, BatchFileRepository files,
                        JobRepository jobs, JobService jobService, BatchValidator validator, BatchOutput output,
                        ObjectMapper json) {
        this.database = database;
        this.batches = batches;
        this.files = files;
        this.jobs = jobs;
        this.jobService = jobService;
        this.validator = validator;
        this.output = output;
        this.json = json;
    }

    public Uni<BatchState> create(Caller caller, String inputFileId, String endpoint, String window,
                                  Map<String, String> metadata) {
        return database.session(() -> files.findById(inputFileId))
                .map(file -> {
                    BatchFileService.visible(caller, inputFileId, file, "input_file_id");
                    if (!BatchFile.INPUT.equals(file.purpose)) {
                        throw InferenceException.invalid("input_file_id", "invalid_value", "file " + inputFileId
                                + " has purpose '" + file.purpose + "'; a batch reads a file uploaded with purpose 'batch'");
                    }
                    return file;
                })
                .flatMap(file -> CallerContext.onWorker(() -> validator.check(file.content, endpoint,
                        caller.userId().toString())))
                .flatMap(checked -> {
                    Batch batch = new Batch();
                    batch.id = Batch.newId();
                    batch.userId = caller.userId();
                    batch.endpoint = endpoint;
                    batch.inputFileId = inputFileId;
                    batch.completionWindow = window;
                    batch.metadata = write(metadata);
                    batch.createdAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
                    if (!checked.errors().isEmpty()) {
                        batch.status = Batch.Status.FAILED;
                        batch.plan = write(new BatchPlan(null, List.of()));
                        batch.errors = write(checked.errors());
                        batch.finishedAt = batch.createdAt;
                        return database.transaction(() -> batches.persist(batch)).replaceWith(batch);
                    }
                    batch.plan = write(checked.plan());
                    batch.status = Batch.Status.IN_PROGRESS;
                    if (checked.texts().isEmpty()) { // every line refused: done, with only an error file
                        return database.transaction(() -> finish(batch, checked.plan(), null, batch.createdAt));
                    }
                    return database.transaction(() -> jobService.create(caller, JobType.EMBED_BATCH,
                                    checked.plan().model(), new JobService.JobInputs(checked.texts(), true, null), null)
                            .flatMap(job -> {
                                batch.jobId = job.id;
                                return batches.persist(batch);
                            }));
                })
                .flatMap(batch -> get(caller, batch.id));
    }

    /** The batch, finalized first if its job has completed since the last look. */
    public Uni<BatchState> get(Caller caller, String id) {
        return database.session(() -> batches.findById(id).flatMap(batch -> {
            visible(caller, id, batch);
            return batch.jobId == null ? Uni.createFrom().item(state(batch, null))
                    : jobs.findById(batch.jobId).map(job -> state(batch, job));
        })).flatMap(state -> state.batch().status == Batch.Status.IN_PROGRESS && state.job() != null
                && state.job().status == Job.Status.COMPLETED ? finalize(caller, state) : Uni.createFrom().item(state));
    }

    public Uni<List<BatchState>> list(Caller caller, String after, int limit) {
        return database.session(() -> (after == null ? Uni.createFrom().item((Batch) null) : batches.findById(after))
                .flatMap(last -> {
                    if (after != null) {
                        visible(caller, after, last);
                    }
                    return batches.page(caller.userId(), last == null ? null : last.createdAt, after, limit);
                })).flatMap(page -> Multi.createFrom().iterable(page) // one after another: one session per context
                .onItem().transformToUniAndConcatenate(batch -> get(caller, batch.id)).collect().asList());
    }

    /** Stops the job (a running one at its next chunk); a batch already completed, failed or cancelled answers 409. */
    public Uni<BatchState> cancel(Caller caller, String id) {
        return get(caller, id).flatMap(state -> {
            if (state.batch().status != Batch.Status.IN_PROGRESS || state.job() == null || state.job().status.settled()) {
                throw new InferenceException(409, "invalid_request_error", "batch_settled", null, "batch " + id
                        + " has already ended", null);
            }
            return jobService.cancel(caller, state.job().id)
                    .onFailure(e -> e instanceof InferenceException refused && refused.status() == 409)
                    .recoverWithNull() // the job ended meanwhile: the batch says how
                    .flatMap(ignored -> get(caller, id));
        });
    }

    /** Records the output and error files; another finalization of the same batch winning the race is fine. */
    private Uni<BatchState> finalize(Caller caller, BatchState state) {
        Job job = state.job();
        return database.session(() -> jobs.resultOf(job.id))
                .flatMap(result -> CallerContext.onWorker(() -> output.sizes(state.batch(), state.plan(), result)))
                .flatMap(sizes -> database.transaction(() -> batches.findById(state.batch().id).flatMap(batch ->
                        batch.status != Batch.Status.IN_PROGRESS ? Uni.createFrom().item(batch)
                                : finish(batch, state.plan(), sizes, job.finishedAt))))
                .onFailure(e -> JobService.concurrentChange(e) || e instanceof ConstraintViolationException
                        || e.getCause() instanceof ConstraintViolationException).recoverWithNull()
                .flatMap(ignored -> get(caller, state.batch().id));
    }

    /** Completes the batch (inside a transaction): its output file (if any line ran) and error file (if any was refused). */
    private Uni<Batch> finish(Batch batch, BatchPlan plan, BatchOutput.Sizes sizes, Instant at) {
        BatchOutput.Sizes known = sizes != null ? sizes : output.sizes(batch, plan, null);
        Uni<Void> written = Uni.createFrom().voidItem();
        if (plan.valid() > 0) {
            batch.outputFileId = batch.fileId("output");
            written = written.call(() -> files.persist(outputFile(batch, batch.outputFileId, "output", known.output())));
        }
        if (plan.refused() > 0) {
            batch.errorFileId = batch.fileId("error");
            written = written.call(() -> files.persist(outputFile(batch, batch.errorFileId, "error", known.errors())));
        }
        batch.status = Batch.Status.COMPLETED;
        batch.finishedAt = at;
        return written.flatMap(ignored -> batches.persist(batch));
    }

    private static BatchFile outputFile(Batch batch, String id, String kind, long bytes) {
        BatchFile file = new BatchFile();
        file.id = id;
        file.userId = batch.userId;
        file.purpose = BatchFile.OUTPUT;
        file.filename = batch.id + "_" + kind + ".jsonl";
        file.bytes = bytes;
        file.batchId = batch.id;
        file.createdAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
        return file;
    }

    /** The JSONL of an output or error file, rendered from its batch and the job's result. */
    public Uni<Multi<Buffer>> content(Caller caller, BatchFile file) {
        return get(caller, file.batchId).flatMap(state -> file.id.equals(state.batch().outputFileId)
                ? database.session(() -> jobs.resultOf(state.job().id))
                        .map(result -> output.output(state.batch(), state.plan(), result))
                : Uni.createFrom().item(output.errors(state.batch(), state.plan())));
    }

    private BatchState state(Batch batch, Job job) {
        try {
            return new BatchState(batch, job, json.readValue(batch.plan, BatchPlan.class),
                    batch.errors == null ? List.of()
                            : List.of(json.readValue(batch.errors, FileError[].class)),
                    batch.metadata == null ? null : json.readValue(batch.metadata,
                            json.getTypeFactory().constructMapType(Map.class, String.class, String.class)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private byte[] write(Object value) {
        if (value == null) {
            return null;
        }
        try {
            return json.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Another user's batch answers exactly like a missing one. */
    private static void visible(Caller caller, String id, Batch batch) {
        if (batch == null || !caller.mayRead(batch.userId)) {
            throw new InferenceException(404, "invalid_request_error", "batch_not_found", null, "no batch " + id, null);
        }
    }
}
