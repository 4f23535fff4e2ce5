package dev.meridian.inference.embedding.rest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.inference.config.InferenceConfig;
import dev.meridian.inference.embedding.Vectors;
import dev.meridian.inference.embedding.rest.SimilarityDtos.ClassifyRequest;
import dev.meridian.inference.embedding.rest.SimilarityDtos.ClassifyResponse;
import dev.meridian.inference.embedding.rest.SimilarityDtos.LabelScore;
import dev.meridian.inference.embedding.rest.SimilarityDtos.RerankDocument;
import dev.meridian.inference.embedding.rest.SimilarityDtos.RerankRequest;
import dev.meridian.inference.embedding.rest.SimilarityDtos.RerankResponse;
import dev.meridian.inference.embedding.rest.SimilarityDtos.RerankResult;
import dev.meridian.inference.embedding.rest.SimilarityDtos.Score;
import dev.meridian.inference.embedding.rest.SimilarityDtos.SimilarityRequest;
import dev.meridian.inference.embedding.rest.SimilarityDtos.SimilarityResponse;
import dev.meridian.inference.embedding.rest.SimilarityDtos.Usage;
import dev.meridian.inference.embedding.service.EmbeddingService;
import dev.meridian.inference.embedding.service.EmbeddingService.Input;
import dev.meridian.inference.model.InputType;
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
import java.util.Comparator;
import java.util.List;

import static dev.meridian.inference.usage.BillableCall.IDEMPOTENCY_KEY;
import static dev.meridian.inference.usage.BillableCall.REQUEST_ID;

/**
 * Similarity, zero-shot classification and reranking on top of the same batcher and cache as /v1/embeddings, for
 * the verified token's subject (A/B splits follow them too).
 */
@Path("/v1")
@Authenticated
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class SimilarityResource {

    /** Softmax temperature over cosine similarities: raw cosines (-1..1) would give near-uniform probabilities. */
    static final double TEMPERATURE = 0.05;
    /** How /v1/rerank scores: cosine similarity of embeddings. No cross-encoder model ships here; we say so. */
    public static final String RERANK_SCORING = "bi-encoder";

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

    @POST
    @Path("/rerank")
    @Operation(summary = "Rank documents by relevance to a query (Cohere/Jina/TEI shape)", description = "Scored as a "
            + "bi-encoder: relevance_score is the cosine similarity of the query's and the document's embeddings "
            + "(-1..1), not a cross-encoder's. Results sorted, best first; top_n keeps the best n.")
    public Uni<RerankResponse> rerank(RerankRequest request, @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey,
                                      @HeaderParam(REQUEST_ID) String requestId) {
        if (request == null) {
            throw InferenceException.bodyRequired();
        }
        List<String> documents = documents(request.documents());
        if (request.topN() != null && request.topN() < 1) {
            throw InferenceException.invalid("top_n", "invalid_value", "'top_n' must be at least 1");
        }
        int topN = request.topN() == null ? documents.size() : Math.min(request.topN(), documents.size());
        boolean withDocuments = Boolean.TRUE.equals(request.returnDocuments());
        Caller who = Caller.of(identity);
        String user = who.userId().toString();
        ModelVersion model = models.resolve(request.model(), user);
        // a retrieval model's query and documents each get the prompt it was trained with
        List<Input> inputs = inputs(request.query(), "query", model.prompt(InputType.QUERY), documents, "documents",
                model.prompt(InputType.DOCUMENT));
        return embeddings.embed(model, inputs, Boolean.TRUE.equals(request.truncate()),
                        i -> i == 0 ? "query" : "documents[" + (i - 1) + "]", Priority.INTERACTIVE, user,
                        who.tier(), BillableCall.of("/v1/rerank", idempotencyKey, requestId, who.apiKeyId()))
                .map(result -> {
                    float[] query = result.vectors().get(0);
                    List<RerankResult> ranked = new ArrayList<>();
                    for (int i = 0; i < documents.size(); i++) {
                        ranked.add(new RerankResult(i, Vectors.dot(query, result.vectors().get(i + 1)),
                                withDocuments ? new RerankDocument(documents.get(i)) : null));
                    }
                    ranked.sort(Comparator.comparingDouble(RerankResult::relevanceScore).reversed());
                    return new RerankResponse("rerank", result.model().qualifiedName(), RERANK_SCORING,
                            ranked.subList(0, topN), new Usage(result.promptTokens(), result.promptTokens()));
                });
    }

    /** Strings, or objects with a text (Cohere's and Jina's document objects); each named in errors. */
    private static List<String> documents(JsonNode documents) {
        if (documents == null || !documents.isArray() || documents.isEmpty()) {
            throw InferenceException.invalid("documents", "invalid_input",
                    "'documents' must be a non-empty array of strings or of objects with a 'text'");
        }
        List<String> texts = new ArrayList<>(documents.size());
        for (int i = 0; i < documents.size(); i++) {
            JsonNode document = documents.get(i);
            JsonNode text = document.isObject() ? document.get("text") : document;
            if (text == null || !text.isTextual()) {
                throw InferenceException.invalid("documents[" + i + "]", "invalid_input",
                        "'documents[" + i + "]' must be a string or an object with a string 'text'");
            }
            texts.add(text.textValue());
        }
        return texts;
    }

    private List<Input> inputs(String first, String firstName, List<String> others, String othersName) {
        return inputs(first, firstName, "", others, othersName, "");
    }

    /** The first text followed by the others, each checked, named in errors and put after its prompt. */
    private List<Input> inputs(String first, String firstName, String firstPrompt, List<String> others,
                               String othersName, String othersPrompt) {
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
        inputs.add(new Input(firstPrompt + first, null));
        for (int i = 0; i < others.size(); i++) {
            String text = others.get(i);
            if (text == null || text.isEmpty()) {
                throw InferenceException.invalid(othersName + "[" + i + "]", "invalid_input",
                        "'" + othersName + "[" + i + "]' must be a non-empty string");
            }
            inputs.add(new Input(othersPrompt + text, null));
        }
        return inputs;
    }
}
