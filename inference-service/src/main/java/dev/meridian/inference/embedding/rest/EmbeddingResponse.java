package dev.meridian.inference.embedding.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/** OpenAI's embeddings response; {@code truncated} (ours) lists the inputs cut to fit, only when there are some. */
public record EmbeddingResponse(String object, List<Item> data, String model,
                                @JsonInclude(JsonInclude.Include.NON_NULL) Usage usage,
                                @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Integer> truncated) {

    /** embedding is a float array, or a base64 string of little-endian float32 when asked for. */
    public record Item(String object, int index, Object embedding) {
    }

    public record Usage(@JsonProperty("prompt_tokens") int promptTokens,
                        @JsonProperty("total_tokens") int totalTokens) {
    }
}
