package dev.meridian.inference.embedding.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/** Bodies of /v1/similarity, /v1/classify and /v1/rerank. */
public final class SimilarityDtos {

    private SimilarityDtos() {
    }

    public record SimilarityRequest(String model, String source, List<String> candidates, Boolean truncate) {
    }

    public record SimilarityResponse(String object, String model, List<Score> data, Usage usage) {
    }

    /** Cosine similarity of candidate {@code index} to the source, in [-1, 1]. */
    public record Score(int index, double score) {
    }

    public record ClassifyRequest(String model, String input, List<String> labels, Boolean truncate) {
    }

    public record ClassifyResponse(String object, String model, List<LabelScore> labels, Usage usage) {
    }

    /** score: softmax probability over the labels; similarity: the raw cosine similarity. */
    public record LabelScore(String label, double score, double similarity) {
    }

    /**
     * Cohere's, Jina's and TEI's rerank request: documents are strings or objects with a {@code text};
     * {@code return_documents} puts each document's text in its result.
     */
    public record RerankRequest(String model, String query, JsonNode documents, @JsonProperty("top_n") Integer topN,
                                @JsonProperty("return_documents") Boolean returnDocuments, Boolean truncate) {
    }

    /** scoring says how the scores were made: {@code bi-encoder} (cosine of embeddings), never a cross-encoder. */
    public record RerankResponse(String object, String model, String scoring, List<RerankResult> results, Usage usage) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record RerankResult(int index, @JsonProperty("relevance_score") double relevanceScore, RerankDocument document) {
    }

    public record RerankDocument(String text) {
    }

    public record Usage(@JsonProperty("prompt_tokens") int promptTokens,
                        @JsonProperty("total_tokens") int totalTokens) {
    }
}
