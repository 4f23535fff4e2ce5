package dev.meridian.gateway.pipeline;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class ProblemsTest {

    @Test
    void a401ChallengesForABearerToken() {
        Refusal refusal = new Refusal(401, "unauthorized", "Unauthorized", "the access token is revoked", 0);
        assertEquals(Map.of("WWW-Authenticate", "Bearer realm=\"meridian\""), Problems.headers(refusal));
    }

    @Test
    void retryAfterIsSentOnlyWhenKnown() {
        assertEquals(Map.of("Retry-After", "3"),
                Problems.headers(new Refusal(429, "rate-limited", "Too Many Requests", "over", 3)));
        assertEquals(Map.of(), Problems.headers(new Refusal(403, "forbidden", "Forbidden", "no", 0)));
    }

    @Test
    void theBodyIsAnRfc9457ProblemWithTheIdsToFindTheRequest() {
        JsonObject body = Problems.body(new Refusal(404, "not-found", "Not Found", "no route for GET /x", 0), "/x",
                "req-1", "0af7651916cd43dd8448eb211c80319c");
        assertEquals(new JsonObject().put("type", "https://meridian.dev/problems/not-found").put("title", "Not Found")
                .put("status", 404).put("detail", "no route for GET /x").put("instance", "/x")
                .put("requestId", "req-1").put("traceId", "0af7651916cd43dd8448eb211c80319c"), body);
        JsonObject untraced = Problems.body(new Refusal(404, "not-found", "Not Found", "d", 0), "/x", null, null);
        assertFalse(untraced.containsKey("requestId") || untraced.containsKey("traceId"), untraced.encode());
    }
}
