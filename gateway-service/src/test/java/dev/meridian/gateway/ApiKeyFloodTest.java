package dev.meridian.gateway;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Invented API keys cost user-service almost nothing: an exchange spends the address's anonymous budget first (10/s,
 * burst 100 in the tests), a refused key is remembered, and exchanges wait in a bounded queue.
 */
@QuarkusTest
class ApiKeyFloodTest {

    private static final SecureRandom RANDOM = new SecureRandom();

    @TestHTTPResource("/")
    URL gateway;

    @Inject
    RedisDataSource redis;

    @BeforeEach
    void freshLoopbackBudget() {
        TestLoad.forgetLoopbackBudgets(redis);
    }

    private static String inventedKey() {
        byte[] bytes = new byte[24];
        RANDOM.nextBytes(bytes);
        return "mk_" + HexFormat.of().formatHex(bytes);
    }

    private static RequestOptions embed(String apiKey, String forwardedFor) {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setURI("/v1/embeddings")
                .putHeader("Authorization", "Bearer " + apiKey);
        return forwardedFor == null ? options : options.putHeader("X-Forwarded-For", forwardedFor);
    }

    @Test
    void twentyThousandInventedKeysFromOneAddressAreLimitedBeforeUserServiceSeesThem() throws Exception {
        int exchangesBefore = EchoUpstreamResource.exchanges;
        long start = System.nanoTime();
        ConcurrentLinkedQueue<String> retryAfter = new ConcurrentLinkedQueue<>();
        Map<Integer, Integer> statuses;
        try (TestLoad load = new TestLoad(gateway.getPort(), 100, null)) {
            statuses = load.run(20_000, 100, i -> embed(inventedKey(), null), response -> {
                if (response.statusCode() == 429 && retryAfter.size() < 5) {
                    retryAfter.add(String.valueOf(response.getHeader("Retry-After")));
                }
            });
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        int exchanges = EchoUpstreamResource.exchanges - exchangesBefore;
        // 401 for the keys that were asked about (503 for those that found the exchange queue full), 429 for the rest
        assertEquals(20_000, statuses.getOrDefault(401, 0) + statuses.getOrDefault(429, 0)
                + statuses.getOrDefault(503, 0), "statuses: " + statuses);
        assertTrue(statuses.getOrDefault(429, 0) > 19_000, "statuses: " + statuses);
        assertTrue(exchanges <= 100 + 10 * elapsed + 1, exchanges + " exchanges in " + elapsed + " s");
        assertTrue(retryAfter.stream().allMatch(value -> value.matches("\\d+")), "Retry-After: " + retryAfter);
    }

    @Test
    void aRefusedKeyIsRefusedAgainWithoutAsking() {
        String key = inventedKey();
        int before = EchoUpstreamResource.exchanges;
        for (int i = 0; i < 5; i++) {
            given().auth().oauth2(key).get("/v1/embeddings").then().statusCode(401);
        }
        assertEquals(1, EchoUpstreamResource.exchanges - before);
    }

    /**
     * From many addresses (behind the ingress), so the address limits let them all through: while user-service is
     * slow, exchanges beyond the bounded queue are refused at once with 503 and Retry-After instead of queueing.
     */
    @Test
    void exchangesBeyondTheQueueAreRefusedAtOnce() throws Exception {
        EchoUpstreamResource.exchangeDelayMillis = 300;
        Map<Integer, Integer> statuses;
        ConcurrentLinkedQueue<String> retryAfter = new ConcurrentLinkedQueue<>();
        try (TestLoad ingress = new TestLoad(gateway.getPort(), 300, TestLoad.TRUSTED_PROXY)) {
            statuses = ingress.run(300, 300, i -> embed(inventedKey(), "100.64." + (i / 250) + "." + (i % 250)),
                    response -> {
                        if (response.statusCode() == 503) {
                            retryAfter.add(String.valueOf(response.getHeader("Retry-After")));
                        }
                    });
        } finally {
            EchoUpstreamResource.exchangeDelayMillis = 0;
        }
        // 8 exchanges in flight and 64 waiting (the defaults): the rest are refused
        int refused = statuses.getOrDefault(503, 0);
        assertEquals(300, statuses.getOrDefault(401, 0) + refused, "statuses: " + statuses);
        assertTrue(refused >= 300 - 72 - 8, "statuses: " + statuses);
        assertTrue(retryAfter.stream().allMatch("1"::equals), "Retry-After: " + retryAfter);
    }
}
