package dev.meridian.user.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.meridian.user.ApiKey;

import java.time.Instant;
import java.util.UUID;

/** Bodies of the API-key endpoints. Unknown request fields are rejected (400 naming the field). */
public final class ApiKeyDtos {

    private ApiKeyDtos() {
    }

    public record ApiKeyRequest(String name, Instant expiresAt) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ApiKeyView(UUID id, String name, String prefix, Instant createdAt, Instant expiresAt,
                             Instant lastUsedAt, String key) {
        static ApiKeyView of(ApiKey key, String secret) {
            return new ApiKeyView(key.id, key.name, key.prefix, key.createdAt, key.expiresAt, key.lastUsedAt, secret);
        }
    }
}
