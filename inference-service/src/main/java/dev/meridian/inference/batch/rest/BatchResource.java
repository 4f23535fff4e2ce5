package dev.meridian.inference.batch.rest;

import dev.meridian.inference.batch.rest.BatchDtos.BatchView;
import dev.meridian.inference.batch.rest.BatchDtos.CreateBatch;
import dev.meridian.inference.batch.rest.BatchDtos.Page;
import dev.meridian.inference.batch.service.BatchService;
import dev.meridian.inference.service.Caller;
import dev.meridian.inference.service.InferenceException;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;

import java.util.Map;

/** OpenAI's Batch API for /v1/embeddings, run as embed_batch jobs. */
@Path("/v1/batches")
@Authenticated
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class BatchResource {

    private static final int MAX_METADATA_PAIRS = 16;

    private final BatchService batches;
    private final SecurityIdentity identity;

    public BatchResource(BatchService batches, SecurityIdentity identity) {
        this.batches = batches;
        this.identity = identity;
    }

    @POST
    @Operation(summary = "Create a batch from an uploaded file (endpoint /v1/embeddings, completion_window 24h)")
    public Uni<BatchView> create(CreateBatch request) {
        if (request == null) {
            throw InferenceException.bodyRequired();
        }
        if (request.inputFileId() == null) {
            throw InferenceException.invalid("input_file_id", "missing_required_parameter",
                    "'input_file_id' is required");
        }
        if (!BatchService.ENDPOINT.equals(request.endpoint())) {
            throw InferenceException.invalid("endpoint", "invalid_value", "'endpoint' must be \""
                    + BatchService.ENDPOINT + "\", the one endpoint batches run here");
        }
        if (!BatchService.WINDOW.equals(request.completionWindow())) {
            throw InferenceException.invalid("completion_window", "invalid_value",
                    "'completion_window' must be \"" + BatchService.WINDOW + "\"");
        }
        checkMetadata(request.metadata());
        return batches.create(caller(), request.inputFileId(), request.endpoint(), request.completionWindow(),
                request.metadata()).map(BatchView::of);
    }

    /** OpenAI's bounds: at most 16 pairs, keys up to 64 characters, values up to 512. */
    private static void checkMetadata(Map<String, String> metadata) {
        if (metadata == null) {
            return;
        }
        if (metadata.size() > MAX_METADATA_PAIRS) {
            throw InferenceException.invalid("metadata", "invalid_value", "'metadata' has " + metadata.size()
                    + " pairs; at most " + MAX_METADATA_PAIRS);
        }
        metadata.forEach((key, value) -> {
            if (key.length() > 64 || value == null || value.length() > 512) {
                throw InferenceException.invalid("metadata", "invalid_value", "'metadata' keys are at most 64"
                        + " characters and values strings of at most 512");
            }
        });
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "A batch, with its status and request counts")
    public Uni<BatchView> get(@PathParam("id") String id) {
        return batches.get(caller(), id).map(BatchView::of);
    }

    @POST
    @Path("/{id}/cancel")
    @Operation(summary = "Cancel a batch in progress (409 once it has ended)")
    public Uni<BatchView> cancel(@PathParam("id") String id) {
        return batches.cancel(caller(), id).map(BatchView::of);
    }

    @GET
    @Operation(summary = "My batches, newest first; pass the last id as 'after' for the next page")
    public Uni<Page<BatchView>> list(@QueryParam("after") String after,
                                     @QueryParam("limit") @DefaultValue("20") int limit) {
        if (limit < 1 || limit > 100) {
            throw InferenceException.invalid("limit", "invalid_value", "'limit' must be between 1 and 100");
        }
        return batches.list(caller(), after, limit + 1).map(page -> Page.of(page, limit, BatchView::of, BatchView::id));
    }

    private Caller caller() {
        return Caller.of(identity);
    }
}
