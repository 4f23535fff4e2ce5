package dev.meridian.inference.job.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.meridian.events.inference.InferenceJobCancelled;
import dev.meridian.events.inference.InferenceJobRequested;
import dev.meridian.events.inference.JobType;
import dev.meridian.inference.collection.repository.CollectionRepository;
import dev.meridian.inference.collection.service.DocumentInput;
import dev.meridian.inference.job.Job;
import dev.meridian.inference.job.repository.JobRepository;
import dev.meridian.inference.model.ModelRegistry;
import dev.meridian.inference.model.ModelVersion;
import dev.meridian.inference.service.Caller;
import dev.meridian.inference.service.DatabaseDeadline;
import dev.meridian.inference.service.InferenceException;
import dev.meridian.inference.user.service.QuotaService;
import dev.meridian.outbox.OutboxService;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.OptimisticLockException;
import org.hibernate.StaleStateException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/** Accepts, shows, lists and cancels a caller's jobs. A job row and its request event commit together. */
@ApplicationScoped
public class JobService {

    private final DatabaseDeadline database;
    private final JobRepository jobs;
    private final CollectionRepository collections;
    private final QuotaService quotas;
    private final OutboxService outbox;
    private final ModelRegistry models;
    private final ObjectMapper json;

    public JobService(JobRepository jobs, CollectionRepository collections, QuotaService quotas, OutboxService outbox,
                      ModelRegistry models, ObjectMapper json, DatabaseDeadline database) {
        this.jobs = jobs;
        this.collections = collections;
        this.quotas = quotas;
        this.outbox = outbox;
        this.models = models;
        this.json = json;
        this.database = database;
    }

    /** The job's inputs as stored: texts (embed_batch) or documents (index_documents), and whether to cut long ones. */
    public record JobInputs(List<String> inputs, boolean truncate, List<DocumentInput> documents) {

        int size() {
            return inputs != null ? inputs.size() : documents.size();
        }
    }

    /** @param collection the collection an index_documents job fills (the caller's) */
    public Uni<Job> create(Caller caller, JobType type, String model, JobInputs inputs, String collection) {
        Job job = new Job();
        job.id = UUID.randomUUID();
        job.userId = caller.userId();
        job.type = type.name().toLowerCase(Locale.ROOT);
        job.collection = collection;
        job.status = Job.Status.PENDING;
        job.inputs = write(inputs);
        job.itemCount = inputs.size();
        job.createdAt = Instant.now().truncatedTo(ChronoUnit.MICROS); // PostgreSQL's precision: reads match
        return database.transaction(() -> modelFor(caller, type, model, collection)
                .call(version -> checkQuota(caller, job.itemCount, type == JobType.EMBED_BATCH ? "inputs" : "documents"))
                .flatMap(version -> {
                    job.model = version.config().id();
                    job.modelVersion = version.config().version();
                    return jobs.persist(job);
                })
                .call(() -> outbox.append(new InferenceJobRequested(job.id, job.userId, type, job.qualifiedModel(),
                        job.itemCount, collection, job.createdAt))));
    }

    /** embed_batch: the model asked for (A/B by user); index_documents: the version the collection was built with. */
    private Uni<ModelVersion> modelFor(Caller caller, JobType type, String model, String collection) {
        if (type == JobType.EMBED_BATCH) {
            if (collection != null) {
                throw InferenceException.invalid("collection", "invalid_input",
                        "'collection' belongs to index_documents jobs");
            }
            return Uni.createFrom().item(models.resolve(model, caller.userId().toString()));
        }
        if (collection == null) {
            throw InferenceException.invalid("collection", "invalid_input",
                    "'collection' is required for index_documents jobs");
        }
        return collections.findByName(caller.userId(), collection).map(found -> {
            if (found == null) {
                throw new InferenceException(404, "invalid_request_error", "collection_not_found", "collection",
                        "no collection '" + collection + "'", null);
            }
            if (model != null && !model.equals(found.model) && !model.equals(found.qualifiedModel())) {
                throw InferenceException.invalid("model", "model_mismatch", "collection '" + collection
                        + "' is embedded with " + found.qualifiedModel() + "; leave 'model' out or name that one");
            }
            return models.resolve(found.qualifiedModel());
        });
    }

    private Uni<Void> checkQuota(Caller caller, int items, String param) {
        return quotas.ofLocked(caller.userId(), caller.tier()).flatMap(limits -> { // held until commit: atomic
            if (items > limits.quota().maxJobItems()) {
                throw InferenceException.invalid(param, "too_many_inputs", "this job has " + items
                        + " items; the " + limits.tier() + " tier allows at most " + limits.quota().maxJobItems()
                        + " per job");
            }
            return jobs.countActive(caller.userId()).map(active -> {
                if (active >= limits.quota().maxActiveJobs()) {
                    throw new InferenceException(429, "rate_limit_error", "quota_exceeded", null, "you have " + active
                            + " jobs pending or running; the " + limits.tier() + " tier allows "
                            + limits.quota().maxActiveJobs() + " at once", 5);
                }
                return null;
            });
        });
    }

    public Uni<Job> get(Caller caller, UUID id) {
        return database.session(() -> jobs.findById(id)).map(job -> visible(caller, id, job));
    }

    /** A job the caller may see, with its vectors (null until it completes). */
    public Uni<WithResult> getWithResult(Caller caller, UUID id) {
        return get(caller, id).flatMap(job -> database.session(() -> jobs.resultOf(id))
                .map(result -> new WithResult(job, result)));
    }

    public record WithResult(Job job, byte[] result) {
    }

    public Uni<List<Job>> list(Caller caller, Instant afterCreatedAt, UUID afterId, int limit) {
        return database.session(() -> jobs.page(caller.userId(), afterCreatedAt, afterId, limit));
    }

    /** Pending or running jobs stop (a running one at its next chunk) and InferenceJobCancelled is published; settled ones answer 409. */
    public Uni<Job> cancel(Caller caller, UUID id) {
        return database.transaction(() -> jobs.findById(id).flatMap(job -> {
            visible(caller, id, job);
            if (job.status.settled()) {
                throw new InferenceException(409, "invalid_request_error", "job_settled", null,
                        "job " + id + " is already " + job.status.name().toLowerCase(), null);
            }
            job.status = Job.Status.CANCELLED;
            job.finishedAt = Instant.now();
            return outbox.append(new InferenceJobCancelled(job.id, job.userId, job.jobType(), job.model,
                    job.finishedAt)).replaceWith(job);
        })).onFailure(JobService::concurrentChange).retry().atMost(3); // a worker moved it on meanwhile: look again
    }

    public static boolean concurrentChange(Throwable e) {
        return e instanceof OptimisticLockException || e instanceof StaleStateException;
    }

    public JobInputs read(Job job) {
        try {
            return json.readValue(job.inputs, JobInputs.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private byte[] write(JobInputs inputs) {
        try {
            return json.writeValueAsBytes(inputs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Another user's job answers exactly like a missing one. */
    private static Job visible(Caller caller, UUID id, Job job) {
        if (job == null || !caller.mayRead(job.userId)) {
            throw new InferenceException(404, "invalid_request_error", "job_not_found", null,
                    "no job " + id, null);
        }
        return job;
    }
}
