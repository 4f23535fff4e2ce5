package dev.meridian.inference.job.service;

import dev.meridian.deadline.CallerContext;
import dev.meridian.events.inference.InferenceJobCompleted;
import dev.meridian.events.inference.InferenceJobFailed;
import dev.meridian.events.inference.JobType;
import dev.meridian.inference.collection.repository.CollectionRepository;
import dev.meridian.inference.collection.service.CollectionService;
import dev.meridian.inference.collection.service.DocumentInput;
import dev.meridian.inference.embedding.Vectors;
import dev.meridian.inference.embedding.service.EmbeddingService;
import dev.meridian.inference.embedding.service.EmbeddingService.Input;
import dev.meridian.inference.job.Job;
import dev.meridian.inference.job.repository.JobRepository;
import dev.meridian.inference.model.InputType;
import dev.meridian.inference.model.MicroBatcher.Priority;
import dev.meridian.inference.model.ModelRegistry;
import dev.meridian.inference.model.ModelVersion;
import dev.meridian.inference.service.DatabaseDeadline;
import dev.meridian.inference.service.InferenceException;
import dev.meridian.inference.usage.BillableCall;
import dev.meridian.inference.user.service.QuotaService;
import dev.meridian.outbox.OutboxService;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.tuples.Tuple2;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;

/**
 * Runs one job to a settled state: RUNNING, then the inputs through the model in chunks at background priority
 * (progress recorded, a cancel honoured between chunks), then COMPLETED or FAILED with its event in the same
 * transaction. Safe to call again for the same job (a redelivery or a second worker): a settled job is left alone,
 * and a job whose worker died mid-way is simply run again from the start.
 */
@ApplicationScoped
public class JobRunner {

    /** A message naming a job that does not exist: poison, for the dead-letter topic. */
    public static final class UnknownJobException extends RuntimeException {
        UnknownJobException(UUID id) {
            super("no job " + id + " exists", null, false, false);
        }
    }

    private static final Logger LOG = Logger.getLogger(JobRunner.class);
    private static final int CHUNK = 128;
    /** Longer than the minute window: a chunk refused for longer waits for the day budget, so the job fails. */
    private static final Duration MAX_BUDGET_WAIT = Duration.ofSeconds(61);
    /** Runs started for one job before it is failed instead of retried (a job that kills its worker). */
    static final int MAX_ATTEMPTS = 3;
    /** pid@host of this instance. */
    private static final String WORKER = ManagementFactory.getRuntimeMXBean().getName();

    private final DatabaseDeadline database;
    private final JobRepository jobs;
    private final CollectionRepository collections;
    private final JobService jobService;
    private final CollectionService collectionService;
    private final EmbeddingService embeddings;
    private final ModelRegistry models;
    private final OutboxService outbox;
    private final QuotaService quotas;

    public JobRunner(JobRepository jobs, CollectionRepository collections, JobService jobService,
                     CollectionService collectionService, EmbeddingService embeddings, ModelRegistry models,
                     OutboxService outbox, QuotaService quotas, DatabaseDeadline database) {
        this.jobs = jobs;
        this.collections = collections;
        this.collectionService = collectionService;
        this.jobService = jobService;
        this.embeddings = embeddings;
        this.models = models;
        this.outbox = outbox;
        this.quotas = quotas;
        this.database = database;
    }

    public Uni<Void> run(UUID id) {
        return database.transaction(() -> jobs.findById(id).flatMap(job -> {
            if (job == null) {
                return Uni.createFrom().failure(new UnknownJobException(id));
            }
            if (job.status.settled()) {
                return Uni.createFrom().nullItem(); // already done: a replay or a duplicate delivery
            }
            if (job.attempts >= MAX_ATTEMPTS) {
                return fail(job, "too_many_attempts", "the job was started " + job.attempts + " times without finishing")
                        .replaceWith((Job) null);
            }
            job.status = Job.Status.RUNNING;
            job.worker = WORKER;
            job.attempts++;
            job.startedAt = Instant.now();
            return Uni.createFrom().item(job);
        })).flatMap(job -> job == null ? Uni.createFrom().voidItem() : Uni.createFrom().deferred(() -> execute(job))
                .onFailure(InferenceException.class).recoverWithUni(e -> {
                    InferenceException failure = (InferenceException) e;
                    if (failure.status() >= 500 || failure.status() == 429) {
                        return Uni.createFrom().failure(e); // transient: the worker retries the whole job
                    }
                    return database.transaction(() -> jobs.findById(job.id)
                            .flatMap(current -> fail(current, failure.code(), failure.getMessage())));
                }));
    }

    /** After the worker's retries: the job is failed for good (its event says why), never left RUNNING. */
    public Uni<Void> giveUp(UUID id, Throwable cause) {
        return database.transaction(() -> jobs.findById(id).flatMap(job -> job == null || job.status.settled()
                ? Uni.createFrom().voidItem()
                : fail(job, cause instanceof InferenceException e ? e.code() : "internal_error",
                        cause instanceof InferenceException ? cause.getMessage() : "the job could not be run")));
    }

    private Uni<Void> execute(Job job) {
        JobService.JobInputs inputs = jobService.read(job);
        ModelVersion model = models.resolve(job.qualifiedModel());
        Uni<Sink> sink;
        if (job.jobType() == JobType.EMBED_BATCH) {
            ByteArrayOutputStream vectors = new ByteArrayOutputStream(job.itemCount * model.config().dimensions() * 4);
            sink = Uni.createFrom().item(new Sink((offset, done) -> {
                done.forEach(vector -> vectors.writeBytes(Vectors.toBytes(vector)));
                return Uni.createFrom().voidItem();
            }, vectors));
        } else {
            sink = database.session(() -> collections.findByName(job.userId, job.collection)).map(collection -> {
                if (collection == null) {
                    throw CollectionService.notFound(job.collection);
                }
                return new Sink((offset, done) -> collectionService.store(job.userId, null, collection.id,
                        inputs.documents().subList(offset, offset + done.size()), done).replaceWithVoid(), null);
            });
        }
        // one after the other, never combined: both would use the context's one session, which takes one operation
        // at a time (run at once, an index_documents job failed with Hibernate's NoSuchElementException)
        Uni<Tuple2<Sink, String>> sinkAndTier = sink.flatMap(s -> database.session(() -> quotas.tier(job.userId, null))
                .map(tier -> Tuple2.of(s, tier)));
        return sinkAndTier
                .flatMap(both -> chunk(job, model, inputs, 0, both.getItem1(), both.getItem2()).flatMap(finished -> !finished
                ? Uni.createFrom().voidItem()
                : database.transaction(() -> jobs.findById(job.id).flatMap(current -> {
                    if (current.status != Job.Status.RUNNING) {
                        return Uni.createFrom().voidItem(); // cancelled meanwhile
                    }
                    current.status = Job.Status.COMPLETED;
                    current.doneCount = current.itemCount;
                    current.result = both.getItem1().vectors() == null ? null : both.getItem1().vectors().toByteArray();
                    current.finishedAt = Instant.now();
                    return outbox.append(new InferenceJobCompleted(current.id, current.userId, current.jobType(),
                            current.model, current.modelVersion, current.itemCount,
                            Duration.between(current.startedAt, current.finishedAt).toMillis(),
                            current.finishedAt)).replaceWithVoid();
                }))));
    }

    /** Where a chunk's vectors go: the job's result (embed_batch) or the collection (index_documents). */
    private record Sink(BiFunction<Integer, List<float[]>, Uni<Void>> accept, ByteArrayOutputStream vectors) {
    }

    /**
     * Embeds the job's items from offset on; false when the job was cancelled on the way. Each chunk is charged to the
     * owner's token budget at {@code tier} before the model runs; a chunk the minute budget cannot take yet waits for
     * it (a job is paced, not failed), one the day budget cannot take fails the job.
     */
    private Uni<Boolean> chunk(Job job, ModelVersion model, JobService.JobInputs inputs, int offset, Sink sink,
                               String tier) {
        if (offset >= job.itemCount) {
            return Uni.createFrom().item(true);
        }
        int end = Math.min(offset + CHUNK, job.itemCount);
        boolean documents = inputs.documents() != null;
        // documents for a collection get the model's document prompt, as when written synchronously
        String prompt = documents ? model.prompt(InputType.DOCUMENT) : "";
        List<Input> batch = (documents
                ? inputs.documents().subList(offset, end).stream().map(DocumentInput::text)
                : inputs.inputs().subList(offset, end).stream()).map(text -> new Input(prompt + text, null)).toList();
        Executor back = CallerContext.current();
        return embeddings.embed(model, batch, inputs.truncate(),
                        i -> documents ? "documents[" + (offset + i) + "].text" : "inputs[" + (offset + i) + "]",
                        Priority.BACKGROUND, job.userId.toString(), tier,
                        // a chunk run again (a redelivered job) is the same call
                        new BillableCall("/v1/jobs", "job:" + job.id + ":" + offset, null))
                .map(Optional::of)
                .onFailure(JobRunner::outOfTokenBudget).recoverWithUni(e -> waitForBudget((InferenceException) e, back))
                .flatMap(done -> done.isEmpty() ? chunk(job, model, inputs, offset, sink, tier) // the budget refilled
                        : chunkDone(job, model, inputs, offset, end, sink, tier, done.get()));
    }

    private Uni<Boolean> chunkDone(Job job, ModelVersion model, JobService.JobInputs inputs, int offset, int end,
                                   Sink sink, String tier, EmbeddingService.Embeddings done) {
        return sink.accept().apply(offset, done.vectors())
                .flatMap(ignored -> database.transaction(() -> jobs.recordProgress(job.id, end)))
                .flatMap(updated -> {
                    if (updated == 0) {
                        LOG.infof("job %s was cancelled at %d of %d", job.id, end, job.itemCount);
                        return Uni.createFrom().item(false);
                    }
                    return chunk(job, model, inputs, end, sink, tier);
                });
    }

    private static boolean outOfTokenBudget(Throwable e) {
        return e instanceof InferenceException refused && "rate_limit_exceeded".equals(refused.code())
                && "tokens".equals(refused.type());
    }

    /** Empty once the minute budget has room again; the day budget exhausted fails the job for good. */
    private static Uni<Optional<EmbeddingService.Embeddings>> waitForBudget(InferenceException refused, Executor back) {
        long seconds = refused.retryAfterSeconds() == null ? 1 : refused.retryAfterSeconds();
        if (seconds > MAX_BUDGET_WAIT.toSeconds()) {
            return Uni.createFrom().failure(InferenceException.invalid(null, "token_budget_exhausted",
                    refused.getMessage()));
        }
        return Uni.createFrom().item(Optional.<EmbeddingService.Embeddings>empty())
                .onItem().delayIt().by(Duration.ofSeconds(seconds))
                .emitOn(back);
    }

    private Uni<Void> fail(Job job, String code, String message) {
        job.status = Job.Status.FAILED;
        job.errorCode = code;
        job.errorMessage = message.length() > 1000 ? message.substring(0, 1000) : message;
        job.finishedAt = Instant.now();
        return outbox.append(new InferenceJobFailed(job.id, job.userId, job.jobType(), job.model, code,
                job.errorMessage, job.attempts, job.finishedAt)).replaceWithVoid();
    }
}
