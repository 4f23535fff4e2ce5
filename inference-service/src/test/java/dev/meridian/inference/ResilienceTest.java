package dev.meridian.inference;

import dev.meridian.inference.embedding.service.EmbeddingCache;
import dev.meridian.local.infra.LocalCacheRedis;
import dev.meridian.local.testing.InjectLocalServer;
import io.quarkus.redis.client.RedisClientName;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static dev.meridian.inference.InferenceApi.embed;
import static dev.meridian.inference.InferenceApi.metric;
import static dev.meridian.inference.InferenceApi.vectors;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

@QuarkusTest
class ResilienceTest {

    /** The version whose vectors do not depend on their batch mates, so results can be compared exactly. */
    static final String FP32 = InferenceApi.MODEL + ":fp32";

    /** The cache Redis, where the vectors live. */
    @InjectLocalServer
    LocalCacheRedis cacheRedis;

    @Inject
    @RedisClientName(EmbeddingCache.REDIS_CLIENT)
    RedisDataSource cacheClient;

    @Test
    void withTheCacheRedisDownRequestsAreServedFromTheModelAndTheServiceStaysReady() throws Exception {
        String text = "served without a cache " + UUID.randomUUID();
        float[] expected;
        await().atMost(Duration.ofMinutes(2)).until(() -> given().get("/q/health/ready").statusCode() == 200);
        cacheRedis.close();
        try {
            expected = vectors(embed(Map.of("model", FP32, "input", List.of(text, "another " + text)))).get(0);
            // the cache is best effort: its outage never takes the instance out of rotation
            given().get("/q/health/ready").then().statusCode(200);
        } finally {
            cacheRedis.start();
        }
        // Back up: the same input is computed again (nothing was cached meanwhile) and now cached.
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
            cacheClient.execute("PING");
            return true;
        });
        assertArrayEquals(expected, vectors(embed(Map.of("model", FP32, "input", text))).get(0), 1e-5f);
        // caching resumes: the service's own connections may need a moment after the restart (a write past the cache
        // timeout is skipped, best effort), so the same input is asked until one answer comes from the cache
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            double hits = metric("meridian_inference_cache_requests_total", "result=\"hit\"");
            assertArrayEquals(expected, vectors(embed(Map.of("model", FP32, "input", text))).get(0), 1e-5f);
            assertEquals(hits + 1, metric("meridian_inference_cache_requests_total", "result=\"hit\""), 0.0);
        });
    }

    @Test
    void aFullQueueAnswers429WithRetryAfterAndTheQueuedWorkStillCompletes() {
        List<String> first = texts("first");
        List<String> second = texts("second");
        CompletableFuture<Integer> queued = CompletableFuture.supplyAsync(() -> InferenceApi.authorized()
                .contentType(ContentType.JSON)
                .body(Map.of("input", first)).post("/v1/embeddings").statusCode());

        // The first request fills the queue (capacity 2048 in tests); while any of it waits, another 2048 cannot fit.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5))
                .until(() -> metric("meridian_inference_queue_depth", "version=\"int8\"") > 0);
        InferenceApi.authorized().contentType(ContentType.JSON).body(Map.of("input", second)).post("/v1/embeddings")
                .then().statusCode(429)
                .header("Retry-After", equalTo("1"))
                .body("error.type", equalTo("rate_limit_error"))
                .body("error.code", equalTo("model_overloaded"));

        assertEquals(200, queued.join());
    }

    private static List<String> texts(String prefix) {
        List<String> texts = new ArrayList<>();
        String run = UUID.randomUUID().toString();
        for (int i = 0; i < 2048; i++) {
            texts.add(prefix + " request, sentence " + i + " of run " + run
                    + ", long enough that the batch takes the model a moment to work through it.");
        }
        return texts;
    }
}
