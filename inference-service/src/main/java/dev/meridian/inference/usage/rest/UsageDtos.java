package dev.meridian.inference.usage.rest;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;
import java.util.UUID;

/** The shape of OpenAI's usage API (GET /v1/organization/usage/embeddings), so its clients read ours unchanged. */
public final class UsageDtos {

    private UsageDtos() {
    }

    public record Page(String object, List<Bucket> data, @JsonProperty("has_more") boolean hasMore,
                       @JsonProperty("next_page") String nextPage) {
    }

    public record Bucket(String object, @JsonProperty("start_time") long startTime,
                         @JsonProperty("end_time") long endTime, List<Result> results) {
    }

    /** Grouping fields not asked for are null, as OpenAI's are; {@code endpoint} is Meridian's own grouping. */
    public record Result(String object, @JsonProperty("input_tokens") long inputTokens,
                         @JsonProperty("num_model_requests") long numModelRequests,
                         @JsonProperty("project_id") String projectId, @JsonProperty("user_id") UUID userId,
                         @JsonProperty("api_key_id") UUID apiKeyId, String model, String endpoint) {
    }
}
