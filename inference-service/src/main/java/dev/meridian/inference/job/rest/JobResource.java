package dev.meridian.inference.job.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.meridian.events.inference.JobType;
import dev.meridian.inference.collection.service.CollectionService;
import dev.meridian.inference.embedding.Vectors;
import dev.meridian.inference.embedding.rest.EmbeddingResource;
import dev.meridian.inference.embedding.rest.EmbeddingResponse;
import dev.meridian.inference.job.Job;
import dev.meridian.inference.job.rest.JobDtos.CreateJob;
import dev.meridian.inference.job.rest.JobDtos.IndexResult;
import dev.meridian.inference.job.rest.JobDtos.JobList;
import dev.meridian.inference.job.rest.JobDtos.JobView;
import dev.meridian.inference.job.service.JobService;
import dev.meridian.inference.rest.OpenAiError;
import dev.meridian.inference.service.Caller;
import dev.meridian.inference.service.InferenceException;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestMulti;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

/** Async jobs of the calling user (admins: anyone's). Another user's job is a 404, like a missing one. */
@Path("/v1/jobs")
@Authenticated
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class JobResource {

    /** How often an events stream looks at the job. */
    static final Duration EVENTS_POLL = Duration.ofMillis(250);
    /** Vectors per written piece of a streamed result. */
    private static final int RESULT_CHUNK = 64;

    private final JobService jobs;
    private final CollectionService collections;
    private final ObjectMapper mapper;
    private final SecurityIdentity identity;

    public JobResource(JobService jobs, CollectionService collections, ObjectMapper mapper, SecurityIdentity identity) {
        this.jobs = jobs;
        this.collections = collections;
        this.mapper = mapper;
        this.identity = identity;
    }

    @POST
    @Operation(summary = "Start an async job (embed_batch or index_documents): 202 with its Location")
    public Uni<Response> create(CreateJob request) {
        if (request == null) {
            throw InferenceException.bodyRequired();
        }
        if (request.type() == null) {
            throw InferenceException.invalid("type", "invalid_input", "'type' is required: \"embed_batch\" or"
                    + " \"index_documents\"");
        }
        boolean truncate = Boolean.TRUE.equals(request.truncate());
        JobService.JobInputs inputs;
        if (request.type() == JobType.EMBED_BATCH) {
            inputs = new JobService.JobInputs(texts(request.inputs()), truncate, null);
        } else {
            if (request.inputs() != null) {
                throw InferenceException.invalid("inputs", "invalid_input", "index_documents jobs take 'documents'");
            }
            // the job's size is bounded by the tier's quota, checked when it is stored
            inputs = new JobService.JobInputs(null, truncate,
                    collections.validated(request.documents(), "documents", Integer.MAX_VALUE));
        }
        return jobs.create(caller(), request.type(), request.model(), inputs, request.collection())
                .map(job -> Response.accepted(JobView.of(job)).location(URI.create("/v1/jobs/" + job.id)).build());
    }

    private static List<String> texts(List<String> inputs) {
        if (inputs == null || inputs.isEmpty()) {
            throw InferenceException.invalid("inputs", "invalid_input", "'inputs' must be a non-empty array of strings");
        }
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i) == null || inputs.get(i).isEmpty()) {
                throw InferenceException.invalid("inputs[" + i + "]", "invalid_input",
                        "'inputs[" + i + "]' must be a non-empty string");
            }
        }
        return inputs;
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "Status, progress, timings and error of one job")
    public Uni<JobView> get(@PathParam("id") UUID id) {
        return jobs.get(caller(), id).map(JobView::of);
    }

    /**
     * embed_batch: the vectors in input order, in OpenAI's embeddings list shape, written in chunks as the client
     * reads them (a 20,000-item result is tens of megabytes of JSON; it is never built in memory whole).
     * index_documents: how many documents were stored.
     */
    @GET
    @Path("/{id}/result")
    @Produces(MediaType.APPLICATION_OCTET_STREAM) // raw chunks; the Content-Type header says JSON
    @Operation(summary = "The result of a completed job: its vectors (embed_batch) or what was indexed")
    public Multi<Buffer> result(@PathParam("id") UUID id,
                                @QueryParam("encoding_format") @DefaultValue("float") String format) {
        boolean base64 = EmbeddingResource.encodingFormat(format);
        return RestMulti.fromUniResponse(jobs.getWithResult(caller(), id).map(done -> {
            if (done.job().status != Job.Status.COMPLETED) {
                throw new InferenceException(409, "invalid_request_error", "job_not_completed", null,
                        "job " + id + " is " + done.job().status.name().toLowerCase()
                                + "; its result exists once completed", null);
            }
            return done;
        }), done -> done.job().jobType() == JobType.EMBED_BATCH ? vectors(done.job(), done.result(), base64)
                : Multi.createFrom().item(json(new IndexResult("collection.index_result", done.job().collection,
                        done.job().itemCount))),
                job -> Map.of(HttpHeaders.CONTENT_TYPE, List.of(MediaType.APPLICATION_JSON)));
    }

    private Multi<Buffer> vectors(Job job, byte[] result, boolean base64) {
        int width = result.length / job.itemCount;
        int chunks = (job.itemCount + RESULT_CHUNK - 1) / RESULT_CHUNK;
        Multi<Buffer> items = Multi.createFrom().range(0, chunks).map(chunk -> {
            Buffer buffer = Buffer.buffer();
            for (int i = chunk * RESULT_CHUNK; i < Math.min(job.itemCount, (chunk + 1) * RESULT_CHUNK); i++) {
                byte[] bytes = Arrays.copyOfRange(result, i * width, (i + 1) * width);
                Object embedding = base64 ? Base64.getEncoder().encodeToString(bytes) : Vectors.fromBytes(bytes);
                if (i > 0) {
                    buffer.appendByte((byte) ',');
                }
                buffer.appendBuffer(json(new EmbeddingResponse.Item("embedding", i, embedding)));
            }
            return buffer;
        });
        return Multi.createBy().concatenating().streams(
                Multi.createFrom().item(Buffer.buffer("{\"object\":\"list\",\"model\":")
                        .appendBuffer(json(job.qualifiedModel())).appendString(",\"data\":[")),
                items,
                Multi.createFrom().item(Buffer.buffer("]}")));
    }

    private Buffer json(Object value) {
        try {
            return Buffer.buffer(mapper.writeValueAsBytes(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Server-Sent Events: the job's view whenever it changes ({@code event: progress}), then once more named after the
     * final status ({@code completed}, {@code failed}, {@code cancelled}) before the stream ends. The row is polled,
     * so it works whichever instance runs the job. A job that is missing or someone else's ends the stream with
     * {@code event: error} and the same body a 404 would carry (the SSE writer has committed 200 by then).
     */
    @GET
    @Path("/{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(summary = "Progress and final state of a job as Server-Sent Events")
    public Multi<OutboundSseEvent> events(@PathParam("id") UUID id, @Context Sse sse) {
        Caller caller = caller();
        io.vertx.core.Context context = Vertx.currentContext();
        return Multi.createFrom().<OutboundSseEvent>emitter(emitter -> {
            AtomicReference<JobView> last = new AtomicReference<>();
            long timer = context.owner().setPeriodic(1, EVENTS_POLL.toMillis(), tick -> context.runOnContext(
                    ignored -> jobs.get(caller, id).map(JobView::of).subscribe().with(view -> {
                        if (emitter.isCancelled() || view.equals(last.getAndSet(view))) {
                            return;
                        }
                        emitter.emit(event(sse, "progress", view));
                        if (!view.status().equals("pending") && !view.status().equals("running")) {
                            emitter.emit(event(sse, view.status(), view));
                            emitter.complete();
                        }
                    }, emitter::fail)));
            emitter.onTermination(() -> context.owner().cancelTimer(timer));
        }).onFailure(InferenceException.class).recoverWithItem(e -> {
            InferenceException failure = (InferenceException) e;
            return event(sse, "error", new OpenAiError(new OpenAiError.Body(failure.getMessage(), failure.type(),
                    failure.param(), failure.code())));
        });
    }

    private static OutboundSseEvent event(Sse sse, String name, Object data) {
        return sse.newEventBuilder().name(name).mediaType(MediaType.APPLICATION_JSON_TYPE).data(data).build();
    }

    @DELETE
    @Path("/{id}")
    @Operation(summary = "Cancel a pending or running job (409 once it is settled)")
    public Uni<JobView> cancel(@PathParam("id") UUID id) {
        return jobs.cancel(caller(), id).map(JobView::of);
    }

    @GET
    @Operation(summary = "My jobs, newest first; pass next_cursor as 'after' for the next page")
    public Uni<JobList> list(@QueryParam("after") String after, @QueryParam("limit") @DefaultValue("20") int limit) {
        if (limit < 1 || limit > 100) {
            throw InferenceException.invalid("limit", "invalid_value", "'limit' must be between 1 and 100");
        }
        Instant afterCreatedAt = null;
        UUID afterId = null;
        if (after != null) {
            try {
                String[] parts = new String(Base64.getUrlDecoder().decode(after), StandardCharsets.UTF_8).split("\\|");
                afterCreatedAt = Instant.parse(parts[0]);
                afterId = UUID.fromString(parts[1]);
            } catch (RuntimeException e) {
                throw InferenceException.invalid("after", "invalid_value", "'after' must be a next_cursor from a previous page");
            }
        }
        return jobs.list(caller(), afterCreatedAt, afterId, limit + 1).map(page -> {
            boolean more = page.size() > limit;
            List<Job> shown = more ? page.subList(0, limit) : page;
            String cursor = null;
            if (more) {
                Job last = shown.get(shown.size() - 1);
                cursor = Base64.getUrlEncoder().withoutPadding()
                        .encodeToString((last.createdAt + "|" + last.id).getBytes(StandardCharsets.UTF_8));
            }
            return new JobList("list", shown.stream().map(JobView::of).toList(), more, cursor);
        });
    }

    private Caller caller() {
        return Caller.of(identity);
    }
}
