package dev.meridian.inference.model.rest;

import dev.meridian.inference.embedding.rest.SimilarityResource;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.meridian.inference.model.ModelRegistry;
import dev.meridian.inference.model.ModelVersion;
import io.quarkus.security.Authenticated;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestResponse;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** OpenAI's model listing, plus what a caller needs to use a model: versions, dimensions, token limit. */
@Path("/v1/models")
@Authenticated // zero trust: every /v1 call carries a verified token, even one the gateway may cache
@Produces(MediaType.APPLICATION_JSON)
public class ModelResource {

    private static final long STARTED = Instant.now().getEpochSecond();

    private final ModelRegistry models;

    public ModelResource(ModelRegistry models) {
        this.models = models;
    }

    public record ModelList(String object, List<Model> data) {
    }

    /**
     * pooling: mean or cls; prompts: what {@code input_type} query/document puts before a text (absent: nothing);
     * rerank: how /v1/rerank scores with this model (bi-encoder: cosine of embeddings; no cross-encoder ships).
     */
    public record Model(String id, String object, long created, @JsonProperty("owned_by") String ownedBy,
                        String task, int dimensions, @JsonProperty("max_tokens") int maxTokens, String pooling,
                        Map<String, String> prompts, @JsonProperty("default_version") String defaultVersion,
                        List<Version> versions, String rerank) {
    }

    /** traffic_percent: the share of end users a bare id sends here (the default version takes the rest). */
    public record Version(String version, String model, int dimensions, @JsonProperty("max_tokens") int maxTokens,
                          boolean ready, @JsonProperty("traffic_percent") int trafficPercent) {
    }

    @GET
    @Operation(summary = "List the served models (OpenAI-compatible)")
    public RestResponse<ModelList> list() {
        return cacheable(new ModelList("list", models.defaults().stream().map(this::describe).toList()));
    }

    /** {@code id} or {@code id:version}; unknown -> 404 in OpenAI's shape. */
    @GET
    @Path("/{id}")
    @Operation(summary = "Describe one model (id or id:version)")
    public RestResponse<Model> get(@PathParam("id") String id) {
        return cacheable(describe(models.resolve(id)));
    }

    /** The same for every caller and rarely changing, so shared caches (the gateway) may keep it briefly. */
    private static <T> RestResponse<T> cacheable(T body) {
        return RestResponse.ResponseBuilder.ok(body)
                .header("Cache-Control", "public, max-age=30")
                .header("ETag", "W/\"" + Integer.toHexString(body.hashCode()) + "\"")
                .build();
    }

    private int trafficPercent(ModelVersion version) {
        if (!version.config().defaultVersion()) {
            return version.config().trafficPercent();
        }
        return 100 - models.versionsOf(version.config().id()).stream()
                .filter(v -> v != version).mapToInt(v -> v.config().trafficPercent()).sum();
    }

    private Model describe(ModelVersion version) {
        ModelVersion preferred = models.resolve(version.config().id());
        List<Version> versions = models.versionsOf(version.config().id()).stream()
                .map(v -> new Version(v.config().version(), v.qualifiedName(), v.config().dimensions(),
                        v.config().maxTokens(), v.batcher().ready(), trafficPercent(v)))
                .toList();
        Map<String, String> prompts = new TreeMap<>();
        version.config().queryPrompt().ifPresent(prompt -> prompts.put("query", prompt));
        version.config().documentPrompt().ifPresent(prompt -> prompts.put("document", prompt));
        return new Model(version.config().id(), "model", STARTED, "meridian", version.config().task(),
                version.config().dimensions(), version.config().maxTokens(),
                version.config().pooling().name().toLowerCase(Locale.ROOT), prompts, preferred.config().version(),
                versions, SimilarityResource.RERANK_SCORING);
    }
}
