package dev.meridian.gateway;

import dev.meridian.gateway.config.GatewayConfig;
import dev.meridian.gateway.ratelimit.RateLimiter;
import dev.meridian.gateway.redis.RedisHealth;
import dev.meridian.gateway.redis.RedisPipeline;
import dev.meridian.local.infra.LocalRedis;
import dev.meridian.local.testing.InjectLocalServer;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

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

    @Inject
    io.vertx.redis.client.Redis vertxRedis;

    @Inject
    RedisHealth health;

    @InjectLocalServer
    LocalRedis localRedis;

    @TestHTTPResource("/")
    URL gateway;

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

    /**
     * A burst on separate connections, as an attacker would send it: every request gets a decision from Redis (its
     * RateLimit header) and together they get no more than the limit allows.
     */
    @Test
    void fiveHundredConcurrentRequestsOfOneUserAreLimitedExactly() throws Exception {
        String token = TestTokens.sign(TestTokens.claims(UUID.randomUUID().toString()));
        Map<Integer, Integer> statuses = new TreeMap<>();
        long start = System.nanoTime();
        List<HttpResponse<String>> responses = concurrently(500, token, "/v1/users/me");
        double elapsed = (System.nanoTime() - start) / 1e9;
        for (HttpResponse<String> response : responses) {
            statuses.merge(response.statusCode(), 1, Integer::sum);
            assertNotNull(response.headers().firstValue("RateLimit").orElse(null),
                    "a request got " + response.statusCode() + " without a rate-limit decision");
        }
        int admitted = statuses.getOrDefault(200, 0);
        assertEquals(500, admitted + statuses.getOrDefault(429, 0), "statuses: " + statuses);
        assertTrue(admitted >= 40 && admitted <= (40 + 20 * elapsed) * 1.01,
                admitted + " admitted in " + elapsed + " s: " + statuses);
    }

    /** {@code count} GETs sent at once, each on its own connection (HTTP/1.1, no reuse while in flight). */
    private List<HttpResponse<String>> concurrently(int count, String token, String path) throws Exception {
        ExecutorService executor = Executors.newFixedThreadPool(4);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(executor)
                .connectTimeout(Duration.ofSeconds(10)).build();
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(gateway.toURI().resolve(path))
                    .timeout(Duration.ofSeconds(30));
            if (token != null) {
                request.header("Authorization", "Bearer " + token);
            }
            List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                sent.add(client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString()));
            }
            CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            return sent.stream().map(CompletableFuture::join).toList();
        } finally {
            executor.shutdownNow();
        }
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

    /**
     * Two gateways' limiters, each with its own Redis connections, sharing Redis: 200 calls in flight each, at more
     * than 10x the limit, admit at most 1% over it.
     */
    @Test
    void twoInstancesSharingRedisWithTwoHundredCallsInFlightEachStayWithinTheLimit() throws Exception {
        List<RateLimiter> gateways = List.of(new RateLimiter(reactiveRedis, new RedisPipeline(vertxRedis, health, config),
                config), new RateLimiter(reactiveRedis, new RedisPipeline(vertxRedis, health, config), config));
        RateLimiter.Policy policy = gateways.get(0).policy("accuracy");
        String subject = "user:" + UUID.randomUUID();
        long runNanos = Duration.ofSeconds(2).toNanos();
        AtomicInteger admitted = new AtomicInteger();
        AtomicInteger attempts = new AtomicInteger();
        AtomicInteger failures = new AtomicInteger();
        long start = System.nanoTime();
        List<Thread> drivers = new ArrayList<>();
        for (RateLimiter gateway : gateways) {
            Semaphore inFlight = new Semaphore(200);
            Thread driver = new Thread(() -> {
                try {
                    while (System.nanoTime() - start < runNanos) {
                        inFlight.acquire();
                        attempts.incrementAndGet();
                        gateway.acquire(policy, subject, null).subscribe().with(decision -> {
                            if (decision.allowed()) {
                                admitted.incrementAndGet();
                            }
                            inFlight.release();
                        }, e -> {
                            failures.incrementAndGet();
                            inFlight.release();
                        });
                    }
                    inFlight.acquire(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            driver.start();
            drivers.add(driver);
        }
        for (Thread driver : drivers) {
            driver.join(Duration.ofSeconds(30).toMillis());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double ceiling = 50 + 50 * seconds;
        assertEquals(0, failures.get(), "limiter calls failed");
        assertTrue(attempts.get() >= 10 * ceiling, "drove only " + attempts + " attempts, not 10x the limit");
        assertTrue(admitted.get() <= ceiling * 1.01, admitted + " admitted, limit allows " + ceiling);
        assertTrue(admitted.get() >= 50 + 50 * (seconds - 0.5), "limiter admitted too few: " + admitted);
    }

    /**
     * Redis killed under concurrent traffic: each route's failure mode applies at once (local, the default, at this
     * instance's share; open; closed), every decision made without Redis is counted, and limits come back from Redis
     * once it is up again.
     */
    @Test
    void redisKilledUnderLoadAppliesEachRoutesFailureModeAndRecovers() throws Exception {
        String token = TestTokens.sign(TestTokens.claims(UUID.randomUUID().toString()));
        given().auth().oauth2(token).get("/v1/users/me").then().statusCode(200);
        // a route with its own policy uses it whoever calls
        given().get("/v1/fallback/local").then().statusCode(200).header("RateLimit-Policy", "50;w=1;burst=50");
        double localBefore = decisions("local");
        localRedis.close();
        try {
            // the free tier's share: tests run two gateway instances on paper
            given().auth().oauth2(token).get("/v1/users/me").then().statusCode(200)
                    .header("RateLimit-Policy", containsString("10;w=1;burst=20"));
            given().get("/v1/fallback/open").then().statusCode(200).header("RateLimit", nullValue());
            given().get("/v1/fallback/closed").then().statusCode(503).contentType("application/problem+json")
                    .header("Retry-After", "1");
            // admin routes fail closed: no token passes them unchecked against the deny-list
            String admin = TestTokens.sign(TestTokens.claims(UUID.randomUUID().toString())
                    .groups(java.util.Set.of("user", "admin")));
            given().auth().oauth2(admin).get("/v1/admin/users").then().statusCode(503)
                    .contentType("application/problem+json").header("Retry-After", "1")
                    .body("detail", containsString("revocations"));
            given().auth().oauth2(admin).get("/admin/routes").then().statusCode(503);

            assertLocalShareHolds(300);
            assertTrue(decisions("local") - localBefore >= 301, "decisions without Redis were not counted");
        } finally {
            localRedis.start();
        }
        assertRedisDecidesAgain(token);
    }

    /** Redis up but silent (CLIENT PAUSE) under concurrent traffic: the same, and no request waits for it long. */
    @Test
    void redisThatDoesNotAnswerUnderLoadCostsNoRequestMoreThanTheLongestWait() throws Exception {
        String token = TestTokens.sign(TestTokens.claims(UUID.randomUUID().toString()));
        given().auth().oauth2(token).get("/v1/users/me").then().statusCode(200).header("RateLimit", notNullValue());
        redis.execute("CLIENT", "PAUSE", "4000", "ALL");
        long start = System.nanoTime();
        assertLocalShareHolds(300);
        given().get("/v1/fallback/closed").then().statusCode(503).contentType("application/problem+json");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 3000, "a silent Redis stalled the requests for " + millis + " ms");
        assertRedisDecidesAgain(token);
    }

    /** {@code count} concurrent requests on the local-fallback route are limited at this instance's share. */
    private void assertLocalShareHolds(int count) throws Exception {
        long start = System.nanoTime();
        List<HttpResponse<String>> responses = concurrently(count, null, "/v1/fallback/local");
        double elapsed = (System.nanoTime() - start) / 1e9;
        int admitted = 0;
        for (HttpResponse<String> response : responses) {
            if (response.statusCode() == 200) {
                admitted++;
            } else {
                assertEquals(429, response.statusCode(), response.body());
                assertNotNull(response.headers().firstValue("Retry-After").orElse(null));
            }
            // half of 50/s, burst 50
            assertEquals("25;w=1;burst=25", response.headers().firstValue("RateLimit-Policy").orElse(null));
        }
        assertTrue(admitted >= 25 && admitted <= (25 + 25 * elapsed) * 1.01, admitted + " admitted in " + elapsed + " s");
    }

    private void assertRedisDecidesAgain(String token) {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> given().auth().oauth2(token)
                .get("/v1/users/me").header("RateLimit-Policy").contains("20;w=1;burst=40"));
        given().get("/v1/fallback/closed").then().statusCode(200);
    }

    private static double decisions(String source) {
        String metrics = given().get("/q/metrics").asString();
        java.util.regex.Matcher line = java.util.regex.Pattern.compile(
                "meridian_gateway_ratelimit_decisions_total\\{source=\"" + source + "\"} (\\S+)").matcher(metrics);
        return line.find() ? Double.parseDouble(line.group(1)) : 0;
    }

    private static String sorted(String policyHeader) {
        List<String> parts = new ArrayList<>(List.of(policyHeader.split(", ")));
        parts.sort(String::compareTo);
        return String.join(", ", parts);
    }
}
