package dev.meridian.gateway;

import dev.meridian.local.infra.LocalRedisCluster;
import dev.meridian.local.infra.RespCall;
import dev.meridian.local.testing.InjectLocalServer;
import dev.meridian.local.testing.RedisTestResource;
import dev.meridian.revocation.TokenRevocation;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.net.URL;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The master holding a user's limits and deny-list entries is killed (SIGKILL) while clients keep calling: its
 * replica takes over, the gateway enforces that user's limits from Redis again within 10 s, no request on a fail-open
 * route gets a 5xx meanwhile, and a token revoked before the failover stays refused after it. Runs in the
 * {@code redis-cluster} test execution only, where the state Redis is a six-node cluster.
 */
@QuarkusTest
@EnabledIfSystemProperty(named = RedisTestResource.MODE_PROPERTY, matches = "cluster")
class RedisClusterFailoverTest {

    private static final String REDIS_DECIDES = "20;w=1;burst=40";

    @InjectLocalServer
    LocalRedisCluster cluster;

    @TestHTTPResource("/")
    URL gateway;

    @Test
    void aKilledMasterIsReplacedUnderTrafficWithoutErrorsOrForgottenRevocations() throws Exception {
        String user = UUID.randomUUID().toString();
        int master = cluster.masterPortFor(TokenRevocation.userKey(user));
        String revoked = userOn(master);
        String token = TestTokens.sign(TestTokens.claims(user));
        String revokedToken = TestTokens.sign(TestTokens.claims(revoked));
        // written as user-service writes it, and acknowledged by the replica before the master dies
        assertEquals(1L, RespCall.calls(master, List.of(
                new String[] {"SET", TokenRevocation.userKey(revoked), Long.toString(Instant.now().getEpochSecond()),
                        "EX", "120"},
                new String[] {"WAIT", "1", "2000"})));
        given().auth().oauth2(revokedToken).get("/v1/users/me").then().statusCode(401);
        assertTrue(given().auth().oauth2(token).get("/v1/users/me").header("RateLimit-Policy").contains(REDIS_DECIDES));

        Map<Integer, Integer> statuses = new TreeMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        try (TestLoad load = new TestLoad(gateway.getPort(), 100, null)) {
            // half the clients on a fail-open route, half as the user on a route that falls back to local limits
            CompletableFuture<Void> traffic = CompletableFuture.runAsync(() -> {
                while (!stop.get()) {
                    try {
                        load.run(400, 100, i -> i % 2 == 0
                                ? new RequestOptions().setMethod(HttpMethod.GET).setURI("/v1/fallback/open")
                                : new RequestOptions().setMethod(HttpMethod.GET).setURI("/v1/users/me")
                                        .putHeader("Authorization", "Bearer " + token))
                                .forEach((status, n) -> {
                                    synchronized (statuses) {
                                        statuses.merge(status, n, Integer::sum);
                                    }
                                });
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> total(statuses) >= 400);

            ProcessHandle.of(cluster.node(master).pid()).orElseThrow().destroyForcibly();
            long killed = System.nanoTime();
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> given()
                    .auth().oauth2(token).get("/v1/users/me").header("RateLimit-Policy").contains(REDIS_DECIDES));
            double recovered = (System.nanoTime() - killed) / 1e9;
            int atRecovery = total(statuses);
            await().atMost(Duration.ofSeconds(10)).until(() -> total(statuses) >= atRecovery + 400);
            stop.set(true);
            traffic.get(60, TimeUnit.SECONDS);
            assertTrue(statuses.keySet().stream().allMatch(s -> s == 200 || s == 429),
                    "answers while the master died and its replica took over: " + statuses
                            + " (Redis decided again " + recovered + " s after the kill)");

            // enforced again: a fresh user's burst of 200 gets what the limit allows
            String fresh = TestTokens.sign(TestTokens.claims(userOn(cluster.masterPortFor(
                    TokenRevocation.userKey(user)))));
            long start = System.nanoTime();
            Map<Integer, Integer> burst = load.run(200, 100, i -> new RequestOptions().setMethod(HttpMethod.GET)
                    .setURI("/v1/users/me").putHeader("Authorization", "Bearer " + fresh));
            double elapsed = (System.nanoTime() - start) / 1e9;
            int admitted = burst.getOrDefault(200, 0);
            assertEquals(200, admitted + burst.getOrDefault(429, 0), "burst: " + burst);
            assertTrue(admitted >= 40 && admitted <= (40 + 20 * elapsed) * 1.01,
                    admitted + " admitted in " + elapsed + " s after the failover");
            given().auth().oauth2(revokedToken).get("/v1/users/me").then().statusCode(401);
        } finally {
            stop.set(true);
            cluster.node(master).start(); // back as a replica of the node that took over, for the tests after this
            await().atMost(Duration.ofSeconds(30)).until(cluster::isReady);
        }
    }

    /** A user whose keys live on the master listening on {@code port}. */
    private String userOn(int port) throws Exception {
        for (int i = 0; i < 1000; i++) {
            String candidate = UUID.randomUUID().toString();
            if (cluster.masterPortFor(TokenRevocation.userKey(candidate)) == port) {
                return candidate;
            }
        }
        throw new AssertionError("no user of 1000 landed on the master on port " + port);
    }

    private static int total(Map<Integer, Integer> statuses) {
        synchronized (statuses) {
            return statuses.values().stream().mapToInt(Integer::intValue).sum();
        }
    }
}
