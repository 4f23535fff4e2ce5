package dev.meridian.inference.embedding.rest;

import dev.meridian.inference.config.InferenceConfig;
import dev.meridian.inference.embedding.Vectors;
import dev.meridian.inference.embedding.rest.SimilarityDtos.ClassifyRequest;
import dev.meridian.inference.embedding.rest.SimilarityDtos.ClassifyResponse;
import dev.meridian.inference.embedding.rest.SimilarityDtos.LabelScore;
import dev.meridian.inference.embedding.rest.SimilarityDtos.Score;
import dev.meridian.inference.embedding.rest.SimilarityDtos.SimilarityRequest;
import dev.meridian.inference.embedding.rest.SimilarityDtos.SimilarityResponse;
import dev.meridian.inference.embedding.rest.SimilarityDtos.Usage;
import dev.meridian.inference.embedding.service.EmbeddingService;
import dev.meridian.inference.embedding.service.EmbeddingService.Input;
import dev.meridian.inference.model.MicroBatcher.Priority;
import dev.meridian.inference.model.ModelRegistry;
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
import java.util.Comparator;
import java.util.List;

import static dev.meridian.inference.usage.BillableCall.IDEMPOTENCY_KEY;
import static dev.meridian.inference.usage.BillableCall.REQUEST_ID;

/**
 * Similarity and zero-shot classification on top of the same batcher and cache as /v1/embeddings, for the verified
 * token's subject (A/B splits follow them too).
 */
@Path("/v1")
@Authenticated
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class SimilarityResource {

    /** Softmax temperature over cosine similarities: raw cosines (-1..1) would give near-uniform probabilities. */
    static final double TEMPERATURE = 0.05;

    private final EmbeddingService embeddings;
    private final ModelRegistry models;
    private final InferenceConfig config;
    private final SecurityIdentity identity;

    public SimilarityResource(EmbeddingService embeddings, ModelRegistry models, InferenceConfig config,
                              SecurityIdentity identity) {
        this.embeddings = embeddings;
        this.models = models;
        this.config = config;
        this.identity = identity;
    }

    @POST
    @Path("/similarity")
    @Operation(summary = "Cosine similarity of each candidate to the source text")
    public Uni<SimilarityResponse> similarity(SimilarityRequest request,
                                              @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey,
                                              @HeaderParam(REQUEST_ID) String requestId) {
        if (request == null) {
            throw InferenceException.bodyRequired();
        }
        Caller who = Caller.of(identity);
        String user = who.userId().toString();
        List<Input> inputs = inputs(request.source(), "source", request.candidates(), "candidates");
        return embeddings.embed(models.resolve(request.model(), user), inputs, Boolean.TRUE.equals(request.truncate()),
                        i -> i == 0 ? "source" : "candidates[" + (i - 1) + "]", Priority.INTERACTIVE, user,
                        who.tier(), BillableCall.of("/v1/similarity", idempotencyKey, requestId, who.apiKeyId()))
                .map(result -> {
                    float[] source = result.vectors().get(0);
                    List<Score> scores = new ArrayList<>();
                    for (int i = 1; i < result.vectors().size(); i++) {
                        scores.add(new Score(i - 1, Vectors.dot(source, result.vectors().get(i))));
                    }
                    return new SimilarityResponse("list", result.model().qualifiedName(), scores,
                            new Usage(result.promptTokens(), result.promptTokens()));
                });
    }

    @POST
    @Path("/classify")
    @Operation(summary = "Zero-shot classification: labels ranked by similarity to the input, with softmax scores")
    public Uni<ClassifyResponse> classify(ClassifyRequest request, @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey,
                                          @HeaderParam(REQUEST_ID) String requestId) {
        if (request == null) {
            throw InferenceException.bodyRequired();
        }
        Caller who = Caller.of(identity);
        String user = who.userId().toString();
        List<Input> inputs = inputs(request.input(), "input", request.labels(), "labels");
        return embeddings.embed(models.resolve(request.model(), user), inputs, Boolean.TRUE.equals(request.truncate()),
                        i -> i == 0 ? "input" : "labels[" + (i - 1) + "]", Priority.INTERACTIVE, user,
                        who.tier(), BillableCall.of("/v1/classify", idempotencyKey, requestId, who.apiKeyId()))
                .map(result -> {
                    float[] text = result.vectors().get(0);
                    int n = request.labels().size();
                    double[] similarity = new double[n];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int i = 0; i < n; i++) {
                        similarity[i] = Vectors.dot(text, result.vectors().get(i + 1));
                        max = Math.max(max, similarity[i]);
                    }
                    double sum = 0;
                    double[] exp = new double[n];
                    for (int i = 0; i < n; i++) {
                        exp[i] = Math.exp((similarity[i] - max) / TEMPERATURE);
                        sum += exp[i];
                    }
                    List<LabelScore> labels = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        labels.add(new LabelScore(request.labels().get(i), exp[i] / sum, similarity[i]));
                    }
                    labels.sort(Comparator.comparingDouble(LabelScore::score).reversed());
                    return new ClassifyResponse("classification", result.model().qualifiedName(), labels,
                            new Usage(result.promptTokens(), result.promptTokens()));
                });
    }

    /** The first text followed by the others, each checked and named in errors. */
    private List<Input> inputs(String first, String firstName, List<String> others, String othersName) {
        if (first == null || first.isEmpty()) {
            throw InferenceException.invalid(firstName, "invalid_input", "'" + firstName + "' must be a non-empty string");
        }
        if (others == null || others.isEmpty()) {
            throw InferenceException.invalid(othersName, "invalid_input",
                    "'" + othersName + "' must be a non-empty array of strings");
        }
        int max = config.limits().maxCandidates();
        if (others.size() > max) {
            throw InferenceException.invalid(othersName, "too_many_inputs",
                    "'" + othersName + "' has " + others.size() + " items; at most " + max + " per request");
        }
        List<Input> inputs = new ArrayList<>(others.size() + 1);
        inputs.add(new Input(first, null));
        for (int i = 0; i < others.size(); i++) {
            String text = others.get(i);
            if (text == null || text.isEmpty()) {
                throw InferenceException.invalid(othersName + "[" + i + "]", "invalid_input",
                        "'" + othersName + "[" + i + "]' must be a non-empty string");
            }
            inputs.add(new Input(text, null));
        }
        return inputs;
    }
}
