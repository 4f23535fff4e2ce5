package dev.meridian.gateway;

import dev.meridian.gateway.config.GatewayConfig;
import dev.meridian.gateway.ratelimit.RateLimiter;
import dev.meridian.local.infra.LocalRedis;
import dev.meridian.local.testing.InjectLocalServer;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
class RateLimitTest {

    @Inject
    RedisDataSource redis;

    @Inject
    ReactiveRedisDataSource reactiveRedis;

    @Inject
    GatewayConfig config;

    @InjectLocalServer
    LocalRedis localRedis;

    @AfterEach
    void forgetAnonymousBudget() {
        redis.key().keys("meridian:rl:anonymous:*").forEach(key -> redis.key().del(key));
    }

    @Test
    void freeTierGetsItsBurstThen429WithRetryAfterAndHeaders() {
        String token = TestTokens.sign(TestTokens.claims(UUID.randomUUID().toString()));
        Response first = given().auth().oauth2(token).get("/v1/users/me");
        assertEquals(200, first.statusCode());
        assertEquals("10000;w=86400;burst=10000, 20;w=1;burst=40", sorted(first.header("RateLimit-Policy")));
        assertTrue(first.header("RateLimit").matches("limit=40, remaining=39, reset=\\d+"), first.header("RateLimit"));

        long start = System.nanoTime();
        int allowed = 1;
        Response refused = null;
        for (int i = 0; i < 80 && refused == null; i++) {
            Response response = given().auth().oauth2(token).get("/v1/users/me");
            if (response.statusCode() == 200) {
                allowed++;
            } else {
                refused = response;
            }
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        assertNotNull(refused, "80 requests at once never hit a 20/s, burst 40 limit");
        assertEquals(429, refused.statusCode());
        assertTrue(Integer.parseInt(refused.header("Retry-After")) >= 1);
        assertEquals("application/problem+json", refused.contentType());
        assertTrue(refused.asString().contains("rate limit 'free' exceeded"), refused.asString());
        assertTrue(allowed >= 40 && allowed <= 40 + 20 * elapsed + 1, allowed + " allowed in " + elapsed + " s");
    }

    @Test
    void anonymousCallersAreLimitedByIp() {
        long start = System.nanoTime();
        int allowed = 0;
        boolean limited = false;
        for (int i = 0; i < 150 && !limited; i++) {
            int status = given().contentType("application/json").body("{}").post("/v1/users").statusCode();
            if (status == 200) {
                allowed++;
            } else {
                assertEquals(429, status);
                limited = true;
            }
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        assertTrue(limited, "anonymous sign-ups were never limited");
        // tests configure anonymous as 10/s with a burst of 100
        assertTrue(allowed >= 100 && allowed <= 100 + 10 * elapsed + 1, allowed + " allowed in " + elapsed + " s");
    }

    /** Two limiter instances (two gateways) sharing Redis, driven at 10x the limit, admit at most 1% over it. */
    @Test
    void twoInstancesSharingRedisStayWithinTheLimit() throws Exception {
        RateLimiter gatewayA = new RateLimiter(reactiveRedis, config);
        RateLimiter gatewayB = new RateLimiter(reactiveRedis, config);
        RateLimiter.Policy policy = gatewayA.policy("accuracy");
        String subject = "user:" + UUID.randomUUID();
        Duration run = Duration.ofSeconds(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            long start = System.nanoTime();
            List<Callable<int[]>> drivers = new ArrayList<>();
            for (RateLimiter gateway : List.of(gatewayA, gatewayB)) {
                drivers.add(() -> {
                    int admitted = 0;
                    int attempts = 0;
                    while (System.nanoTime() - start < run.toNanos()) {
                        attempts++;
                        if (gateway.acquire(policy, subject, null).await().atMost(Duration.ofSeconds(5)).allowed()) {
                            admitted++;
                        }
                    }
                    return new int[] {admitted, attempts};
                });
            }
            int admitted = 0;
            int attempts = 0;
            for (Future<int[]> result : pool.invokeAll(drivers)) {
                admitted += result.get()[0];
                attempts += result.get()[1];
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double ceiling = 50 + 50 * seconds;
            assertTrue(attempts >= 10 * ceiling, "drove only " + attempts + " attempts, not 10x the limit");
            assertTrue(admitted <= ceiling * 1.01, admitted + " admitted, limit allows " + ceiling);
            assertTrue(admitted >= 50 + 50 * (seconds - 0.5), "limiter admitted too few: " + admitted);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void redisOutageFailsOpenClosedOrToALocalShareAsEachRouteChoseAndRecovers() throws Exception {
        String token = TestTokens.sign(TestTokens.claims(UUID.randomUUID().toString()));
        given().auth().oauth2(token).get("/v1/users/me").then().statusCode(200);
        // a route with its own policy uses it whoever calls
        given().get("/v1/fallback/local").then().statusCode(200).header("RateLimit-Policy", "50;w=1;burst=50");
        localRedis.close();
        try {
            long start = System.nanoTime();
            given().auth().oauth2(token).get("/v1/users/me").then().statusCode(200)
                    .body("path", equalTo("/v1/users/me"));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < 2000, "a Redis outage stalled the request for " + millis + " ms");

            given().get("/v1/fallback/closed").then().statusCode(503).contentType("application/problem+json")
                    .header("Retry-After", "1");
            // admin routes fail closed: no token passes them unchecked against the deny-list
            String admin = TestTokens.sign(TestTokens.claims(UUID.randomUUID().toString())
                    .groups(java.util.Set.of("user", "admin")));
            given().auth().oauth2(admin).get("/v1/admin/users").then().statusCode(503)
                    .contentType("application/problem+json").header("Retry-After", "1")
                    .body("detail", containsString("revocations"));
            given().auth().oauth2(admin).get("/admin/routes").then().statusCode(503);

            // tests run two gateway instances on paper: this one admits half of 50/s, burst 50
            long localStart = System.nanoTime();
            int admitted = 0;
            int refused = 0;
            for (int i = 0; i < 60; i++) {
                Response response = given().get("/v1/fallback/local");
                if (response.statusCode() == 200) {
                    admitted++;
                } else {
                    assertEquals(429, response.statusCode());
                    assertNotNull(response.header("Retry-After"));
                    assertEquals("25;w=1;burst=25", response.header("RateLimit-Policy"));
                    refused++;
                }
            }
            double elapsed = (System.nanoTime() - localStart) / 1e9;
            assertTrue(admitted >= 25 && admitted <= 25 + 25 * elapsed + 1, admitted + " admitted in " + elapsed + " s");
            assertTrue(refused > 0, "the local share refused nothing in " + elapsed + " s");
        } finally {
            localRedis.start();
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
                given().auth().oauth2(token).get("/v1/users/me").header("RateLimit") != null);
        given().auth().oauth2(token).get("/v1/users/me").then().statusCode(200)
                .header("RateLimit", containsString("limit=40"));
    }

    @Test
    void redisThatDoesNotAnswerCostsARequestOnlyItsDeadline() {
        String token = TestTokens.sign(TestTokens.claims(UUID.randomUUID().toString()));
        given().auth().oauth2(token).get("/v1/users/me").then().statusCode(200).header("RateLimit", notNullValue());
        // Redis holds every command for 3 s: up, connected, and silent
        redis.execute("CLIENT", "PAUSE", "3000", "ALL");
        long start = System.nanoTime();
        given().auth().oauth2(token).get("/v1/users/me").then().statusCode(200)
                .header("RateLimit", nullValue()).body("path", equalTo("/v1/users/me"));
        given().get("/v1/fallback/closed").then().statusCode(503).contentType("application/problem+json");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 2000, "a silent Redis stalled two requests for " + millis + " ms");
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
                given().auth().oauth2(token).get("/v1/users/me").header("RateLimit") != null);
    }

    private static String sorted(String policyHeader) {
        List<String> parts = new ArrayList<>(List.of(policyHeader.split(", ")));
        parts.sort(String::compareTo);
        return String.join(", ", parts);
    }
}
