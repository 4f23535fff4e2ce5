package dev.meridian.inference.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.meridian.events.inference.InferenceJobRequested;
import dev.meridian.events.inference.JobType;
import dev.meridian.inference.Job;
import dev.meridian.inference.UserProfile;
import dev.meridian.inference.config.InferenceConfig;
import dev.meridian.inference.repository.JobRepository;
import dev.meridian.inference.repository.UserProfileRepository;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.OptimisticLockException;
import org.hibernate.StaleStateException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;

/** Accepts, shows, lists and cancels a caller's jobs. A job row and its request event commit together. */
@ApplicationScoped
public class JobService {

    private final JobRepository jobs;
    private final UserProfileRepository profiles;
    private final OutboxService outbox;
    private final ModelRegistry models;
    private final InferenceConfig config;
    private final ObjectMapper json;

    public JobService(JobRepository jobs, UserProfileRepository profiles, OutboxService outbox, ModelRegistry models,
                      InferenceConfig config, ObjectMapper json) {
        this.jobs = jobs;
        this.profiles = profiles;
        this.outbox = outbox;
        this.models = models;
        this.config = config;
        this.json = json;
    }

    /** The job's inputs as stored: the texts and whether over-long ones may be cut. */
    public record JobInputs(List<String> inputs, boolean truncate) {
    }

    public Uni<Job> create(Caller caller, JobType type, String model, JobInputs inputs) {
        if (type != JobType.EMBED_BATCH) {
            throw InferenceException.invalid("type", "unsupported_job_type",
                    "'type' must be \"embed_batch\" (index_documents comes with collections)");
        }
        ModelVersion version = models.resolve(model, caller.userId().toString());
        Job job = new Job();
        job.id = UUID.randomUUID();
        job.userId = caller.userId();
        job.type = "embed_batch";
        job.model = version.config().id();
        job.modelVersion = version.config().version();
        job.status = Job.Status.PENDING;
        job.inputs = write(inputs);
        job.itemCount = inputs.inputs().size();
        job.createdAt = Instant.now().truncatedTo(ChronoUnit.MICROS); // PostgreSQL's precision: reads match
        return Panache.withTransaction(() -> profiles.findById(caller.userId())
                .flatMap(profile -> checkQuota(caller, profile, job.itemCount))
                .flatMap(ignored -> jobs.persist(job))
                .call(() -> outbox.append(new InferenceJobRequested(job.id, job.userId, type, version.qualifiedName(),
                        job.itemCount, null, job.createdAt))));
    }

    /** The tier users.v1 reported (the token's until then): job size now, active jobs from the database. */
    private Uni<Void> checkQuota(Caller caller, UserProfile profile, int items) {
        if (profile != null && !"active".equals(profile.status)) {
            throw new InferenceException(403, "invalid_request_error", "account_" + profile.status, null,
                    "this account is " + profile.status, null);
        }
        String tier = profile != null ? profile.tier : caller.tier();
        InferenceConfig.Quota quota = config.quotas().getOrDefault(tier, config.quotas().get("free"));
        if (items > quota.maxJobItems()) {
            throw InferenceException.invalid("inputs", "too_many_inputs", "'inputs' has " + items
                    + " items; the " + tier + " tier allows at most " + quota.maxJobItems() + " per job");
        }
        return jobs.countActive(caller.userId()).map(active -> {
            if (active >= quota.maxActiveJobs()) {
                throw new InferenceException(429, "rate_limit_error", "quota_exceeded", null, "you have " + active
                        + " jobs pending or running; the " + tier + " tier allows " + quota.maxActiveJobs()
                        + " at once", 5);
            }
            return null;
        });
    }

    public Uni<Job> get(Caller caller, UUID id) {
        return Panache.withSession(() -> jobs.findById(id)).map(job -> visible(caller, id, job));
    }

    public Uni<List<Job>> list(Caller caller, Instant afterCreatedAt, UUID afterId, int limit) {
        return Panache.withSession(() -> jobs.page(caller.userId(), afterCreatedAt, afterId, limit));
    }

    /** Pending or running jobs stop (a running one at its next chunk); settled ones answer 409. */
    public Uni<Job> cancel(Caller caller, UUID id) {
        return Panache.withTransaction(() -> jobs.findById(id).map(job -> {
            visible(caller, id, job);
            if (job.status.settled()) {
                throw new InferenceException(409, "invalid_request_error", "job_settled", null,
                        "job " + id + " is already " + job.status.name().toLowerCase(), null);
            }
            job.status = Job.Status.CANCELLED;
            job.finishedAt = Instant.now();
            return job;
        })).onFailure(JobService::concurrentChange).retry().atMost(3); // a worker moved it on meanwhile: look again
    }

    static boolean concurrentChange(Throwable e) {
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
