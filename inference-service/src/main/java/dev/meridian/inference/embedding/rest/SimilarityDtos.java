package dev.meridian.inference.embedding.rest;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/** Bodies of /v1/similarity and /v1/classify. */
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

    public record Usage(@JsonProperty("prompt_tokens") int promptTokens,
                        @JsonProperty("total_tokens") int totalTokens) {
    }
}
