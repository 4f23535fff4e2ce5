package dev.meridian.inference.rest;

import dev.meridian.inference.Job;
import dev.meridian.inference.rest.JobDtos.CreateJob;
import dev.meridian.inference.rest.JobDtos.JobList;
import dev.meridian.inference.rest.JobDtos.JobView;
import dev.meridian.inference.service.Caller;
import dev.meridian.inference.service.InferenceException;
import dev.meridian.inference.service.JobService;
import dev.meridian.inference.service.Vectors;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
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
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.eclipse.microprofile.openapi.annotations.Operation;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
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

    private final JobService jobs;
    private final JsonWebToken token;

    public JobResource(JobService jobs, JsonWebToken token) {
        this.jobs = jobs;
        this.token = token;
    }

    @POST
    @Operation(summary = "Start an async job (embed_batch): 202 with its Location")
    public Uni<Response> create(CreateJob request) {
        if (request == null) {
            throw InferenceException.bodyRequired();
        }
        if (request.type() == null) {
            throw InferenceException.invalid("type", "invalid_input", "'type' is required, e.g. \"embed_batch\"");
        }
        List<String> inputs = request.inputs();
        if (inputs == null || inputs.isEmpty()) {
            throw InferenceException.invalid("inputs", "invalid_input", "'inputs' must be a non-empty array of strings");
        }
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i) == null || inputs.get(i).isEmpty()) {
                throw InferenceException.invalid("inputs[" + i + "]", "invalid_input",
                        "'inputs[" + i + "]' must be a non-empty string");
            }
        }
        return jobs.create(caller(), request.type(), request.model(),
                        new JobService.JobInputs(inputs, Boolean.TRUE.equals(request.truncate())))
                .map(job -> Response.accepted(JobView.of(job)).location(URI.create("/v1/jobs/" + job.id)).build());
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "Status, progress, timings and error of one job")
    public Uni<JobView> get(@PathParam("id") UUID id) {
        return jobs.get(caller(), id).map(JobView::of);
    }

    @GET
    @Path("/{id}/result")
    @Operation(summary = "The vectors of a completed job, in input order (OpenAI's embeddings list shape)")
    public Uni<EmbeddingResponse> result(@PathParam("id") UUID id,
                                         @QueryParam("encoding_format") @DefaultValue("float") String format) {
        boolean base64 = EmbeddingResource.encodingFormat(format);
        return jobs.get(caller(), id).map(job -> {
            if (job.status != Job.Status.COMPLETED) {
                throw new InferenceException(409, "invalid_request_error", "job_not_completed", null,
                        "job " + id + " is " + job.status.name().toLowerCase() + "; its result exists once completed",
                        null);
            }
            int width = job.result.length / job.itemCount;
            List<EmbeddingResponse.Item> data = new ArrayList<>(job.itemCount);
            for (int i = 0; i < job.itemCount; i++) {
                byte[] bytes = Arrays.copyOfRange(job.result, i * width, (i + 1) * width);
                Object embedding = base64 ? Base64.getEncoder().encodeToString(bytes) : Vectors.fromBytes(bytes);
                data.add(new EmbeddingResponse.Item("embedding", i, embedding));
            }
            return new EmbeddingResponse("list", data, job.qualifiedModel(), null, null);
        });
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
        String tier = token.getClaim("tier");
        return new Caller(UUID.fromString(token.getSubject()), token.getGroups().contains("admin"),
                tier == null ? "free" : tier);
    }
}
