package dev.meridian.inference.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.meridian.events.inference.InferenceJobRequested;
import dev.meridian.events.inference.JobType;
import dev.meridian.inference.Job;
import dev.meridian.inference.config.InferenceConfig;
import dev.meridian.inference.repository.JobRepository;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Accepts, shows, lists and cancels a caller's jobs. A job row and its request event commit together. */
@ApplicationScoped
public class JobService {

    private final JobRepository jobs;
    private final OutboxService outbox;
    private final ModelRegistry models;
    private final InferenceConfig config;
    private final ObjectMapper json;

    public JobService(JobRepository jobs, OutboxService outbox, ModelRegistry models, InferenceConfig config,
                      ObjectMapper json) {
        this.jobs = jobs;
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
        ModelVersion version = models.resolve(model);
        int max = config.limits().maxJobItems();
        if (inputs.inputs().size() > max) {
            throw InferenceException.invalid("inputs", "too_many_inputs",
                    "'inputs' has " + inputs.inputs().size() + " items; at most " + max + " per job");
        }
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
        return Panache.withTransaction(() -> jobs.persist(job)
                .call(() -> outbox.append(new InferenceJobRequested(job.id, job.userId, type, version.qualifiedName(),
                        job.itemCount, null, job.createdAt))));
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
        }));
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
            return json.writeValueAsBytes(Map.of("inputs", inputs.inputs(), "truncate", inputs.truncate()));
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
