package dev.meridian.gateway;

import dev.meridian.revocation.TokenRevocation;
import dev.meridian.local.infra.LocalCacheRedis;
import dev.meridian.local.testing.InjectLocalServer;
import io.quarkus.redis.client.RedisClientName;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import jakarta.inject.Inject;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cache busting from strangers: 100,000 anonymous requests with distinct queries on public cached routes (from many
 * addresses behind the ingress, so the address limits let them through). Queries a route did not declare are not
 * cached at all; declared ones fill the cache Redis only up to its memory limit, where it evicts, and the state Redis
 * (rate limits, deny-list) never notices.
 */
@QuarkusTest
class CacheFloodTest {

    private static final long CACHE_MAXMEMORY = 8L * 1024 * 1024;

    @TestHTTPResource("/")
    URL gateway;

    @Inject
    RedisDataSource state;

    @Inject
    @RedisClientName("cache")
    RedisDataSource cache;

    @InjectLocalServer
    LocalCacheRedis cacheServer;

    @Test
    void distinctQueriesNeverGrowTheCacheBeyondItsBoundNorTouchState() throws Exception {
        given().get("/.well-known/jwks.json?a=1").then().statusCode(200).header("X-Cache", "BYPASS");
        given().get("/.well-known/jwks.json?a=1").then().statusCode(200).header("X-Cache", "BYPASS");
        long keysBefore = cache.key().keys("meridian:cache:v1:/.well-known/*").size();
        Map<String, Integer> outcomes = new ConcurrentHashMap<>();
        Map<Integer, Integer> statuses;
        String run = UUID.randomUUID().toString().substring(0, 8);
        try (TestLoad ingress = new TestLoad(gateway.getPort(), 32, TestLoad.TRUSTED_PROXY)) {
            statuses = ingress.run(100_000, 32, i -> new RequestOptions().setMethod(HttpMethod.GET)
                    // 50 requests per client address: within every address's burst
                    .putHeader("X-Forwarded-For", "10." + (i / 50 / 250 % 250) + "." + (i / 50 % 250) + ".7")
                    .setURI(i % 2 == 0 ? "/.well-known/jwks.json?bust=" + run + i
                            : "/v1/cached/flood-" + run + "?cc=public,max-age=600&n=" + i),
                    response -> outcomes.merge(String.valueOf(response.getHeader("X-Cache")), 1, Integer::sum));
        }
        assertEquals(Map.of(200, 100_000), statuses);
        assertEquals(Map.of("BYPASS", 50_000, "MISS", 50_000), outcomes);
        assertEquals(keysBefore, cache.key().keys("meridian:cache:v1:/.well-known/*").size(),
                "undeclared queries were cached");

        Map<String, String> memory = info(cache);
        assertEquals(Long.toString(CACHE_MAXMEMORY), cache.execute("CONFIG", "GET", "maxmemory").get("maxmemory").toString());
        assertTrue(Long.parseLong(memory.get("used_memory")) <= CACHE_MAXMEMORY * 11 / 10, "cache Redis: " + memory);
        assertTrue(Long.parseLong(info(cache).get("evicted_keys")) > 0, "the flood never reached the cache's bound");

        // state is untouched: a deny-list write is accepted and takes effect, and limits still hold
        String user = UUID.randomUUID().toString();
        String token = TestTokens.sign(TestTokens.claims(user).issuedAt(Instant.now().minusSeconds(5)));
        given().auth().oauth2(token).get("/v1/users/me").then().statusCode(200);
        state.value(String.class).setex(TokenRevocation.userKey(user), 60, Long.toString(Instant.now().getEpochSecond()));
        given().auth().oauth2(token).get("/v1/users/me").then().statusCode(401);
        // the free tier's burst (40, then 20/s) still holds: 100 requests at once, so no slow machine refills it
        String other = TestTokens.sign(TestTokens.claims(UUID.randomUUID().toString()));
        Map<Integer, Integer> burst;
        long started = System.nanoTime();
        try (TestLoad client = new TestLoad(gateway.getPort(), 100, null)) {
            burst = client.run(100, 100, i -> new RequestOptions().setMethod(HttpMethod.GET).setURI("/v1/users/me")
                    .putHeader("Authorization", "Bearer " + other));
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        int admitted = burst.getOrDefault(200, 0);
        assertEquals(100, admitted + burst.getOrDefault(429, 0), "every answer a 200 or a 429: " + burst);
        assertTrue(admitted <= 40 + Math.ceil(20 * seconds),
                "the free tier's burst of 40 no longer holds: " + burst + " in " + seconds + " s");
        assertEquals("noeviction", state.execute("CONFIG", "GET", "maxmemory-policy").get("maxmemory-policy").toString());
    }

    /**
     * The flood keeps the echo upstream (one event loop for every route) so busy that the gateway's health checks of
     * it may time out, marking it down until the next one: tests that follow need it back in rotation.
     */
    @AfterEach
    void upstreamsBackInRotation() {
        Awaitility.await("upstreams back in rotation after the flood").atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> given().auth().oauth2(AdminTest.adminToken()).get("/admin/upstreams").jsonPath().getInt(
                        "upstreams.findAll { it.name in ['users', 'cached'] }.instances.flatten()"
                                + ".findAll { it.down || it.ejected }.size()") == 0);
    }

    /** The cache is an optimisation: without its Redis the gateway stays ready and answers, uncached. */
    @Test
    void withoutTheCacheRedisTheGatewayStaysReadyAndAnswers() throws Exception {
        cacheServer.close();
        try {
            await(false);
            given().get("/q/health/ready").then().statusCode(200);
            String uri = "/v1/cached/no-redis-" + UUID.randomUUID() + "?cc=public,max-age=60";
            given().get(uri).then().statusCode(200).header("X-Cache", "MISS");
            given().get("/.well-known/jwks.json").then().statusCode(200);
        } finally {
            cacheServer.start();
        }
        await(true);
    }

    /** Until the gateway's probe of the cache Redis says it is (or is not) healthy. */
    private static void await(boolean healthy) {
        String expected = "meridian_gateway_redis_healthy{redis=\"cache\"} " + (healthy ? "1.0" : "0.0");
        Awaitility.await("the cache Redis probe says " + expected).atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> given().get("/q/metrics").asString().contains(expected));
    }

    private static Map<String, String> info(RedisDataSource redis) {
        Map<String, String> fields = new java.util.TreeMap<>();
        for (String line : redis.execute("INFO", "all").toString().split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("#")) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
            }
        }
        return fields;
    }
}
