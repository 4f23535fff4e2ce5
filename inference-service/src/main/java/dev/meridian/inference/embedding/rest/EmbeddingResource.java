package dev.meridian.inference.embedding.rest;

import dev.meridian.inference.config.InferenceConfig;
import dev.meridian.inference.embedding.Vectors;
import dev.meridian.inference.embedding.service.EmbeddingService;
import dev.meridian.inference.embedding.service.EmbeddingService.Embeddings;
import dev.meridian.inference.model.MicroBatcher.Priority;
import dev.meridian.inference.model.ModelRegistry;
import dev.meridian.inference.model.ModelVersion;
import dev.meridian.inference.service.Caller;
import dev.meridian.inference.service.InferenceException;
import dev.meridian.inference.usage.BillableCall;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static dev.meridian.inference.usage.BillableCall.IDEMPOTENCY_KEY;
import static dev.meridian.inference.usage.BillableCall.REQUEST_ID;

/**
 * The caller is the verified token's subject (never a header). A/B splits follow the end user: OpenAI's {@code user}
 * field when the client names one (its own end user), else the caller. Only the version choice depends on it (a
 * caller can always name {@code id:version}), so the field is not a trust issue.
 */
@Path("/v1/embeddings")
@Authenticated
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class EmbeddingResource {

    private final EmbeddingService embeddings;
    private final ModelRegistry models;
    private final InferenceConfig config;
    private final SecurityIdentity identity;

    public EmbeddingResource(EmbeddingService embeddings, ModelRegistry models, InferenceConfig config,
                             SecurityIdentity identity) {
        this.embeddings = embeddings;
        this.models = models;
        this.config = config;
        this.identity = identity;
    }

    @POST
    @Operation(summary = "Create embeddings (OpenAI-compatible)")
    public Uni<EmbeddingResponse> create(EmbeddingRequest request, @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey,
                                         @HeaderParam(REQUEST_ID) String requestId) {
        if (request == null) {
            throw InferenceException.bodyRequired();
        }
        Caller who = Caller.of(identity);
        String caller = who.userId().toString();
        boolean base64 = encodingFormat(request.encodingFormat());
        ModelVersion model = models.resolve(request.model(), request.user() != null ? request.user() : caller);
        List<EmbeddingService.Input> inputs = EmbeddingInputs.of(request, model, config.limits().maxItems());
        boolean truncate = Boolean.TRUE.equals(request.truncate());
        boolean list = request.input().isArray() && !request.input().get(0).isIntegralNumber();
        return embeddings.embed(model, inputs, truncate, i -> list ? "input[" + i + "]" : "input",
                        Priority.INTERACTIVE, caller, who.tier(),
                        BillableCall.of("/v1/embeddings", idempotencyKey, requestId, who.apiKeyId()))
                .map(result -> respond(result, base64));
    }

    public static boolean encodingFormat(String format) {
        if (format == null || format.equals("float")) {
            return false;
        }
        if (format.equals("base64")) {
            return true;
        }
        throw InferenceException.invalid("encoding_format", "invalid_value",
                "'encoding_format' must be \"float\" or \"base64\"");
    }

    private static EmbeddingResponse respond(Embeddings result, boolean base64) {
        List<EmbeddingResponse.Item> data = new ArrayList<>(result.vectors().size());
        for (int i = 0; i < result.vectors().size(); i++) {
            float[] vector = result.vectors().get(i);
            Object embedding = base64 ? Base64.getEncoder().encodeToString(Vectors.toBytes(vector)) : vector;
            data.add(new EmbeddingResponse.Item("embedding", i, embedding));
        }
        return new EmbeddingResponse("list", data, result.model().qualifiedName(),
                new EmbeddingResponse.Usage(result.promptTokens(), result.promptTokens()), result.truncated());
    }
}
