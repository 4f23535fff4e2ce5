package dev.meridian.inference.embedding.rest;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * OpenAI's embeddings request. {@code input} is a string, an array of strings, an array of token ids or an array of
 * token-id arrays; {@code truncate} is ours (cut over-long inputs to the model's limit instead of refusing them);
 * {@code input_type} ({@code query} | {@code document}, Cohere's and Voyage's name) puts the model's own prompt
 * before each text.
 */
public record EmbeddingRequest(JsonNode input, String model,
                               @JsonProperty("encoding_format") String encodingFormat,
                               Integer dimensions, String user, Boolean truncate,
                               @JsonProperty("input_type") String inputType) {
}
