package dev.meridian.inference;

import dev.meridian.events.user.UserStatus;
import dev.meridian.events.user.UserUpdated;
import dev.meridian.inference.embedding.service.EmbeddingCache;
import dev.meridian.local.infra.LocalRedis;
import dev.meridian.local.testing.InjectLocalServer;
import dev.meridian.revocation.TokenRevocation;
import io.quarkus.redis.client.RedisClientName;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.smallrye.jwt.build.Jwt;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionException;

import static dev.meridian.inference.JobsTest.as;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Calls straight to the service (8082), past the gateway, obey the same rules: a verified token on every /v1
 * endpoint, identity from it alone, the deny-list and the account status honoured, and neither read can hang a call.
 */
@QuarkusTest
class ZeroTrustTest {

    /** Every /v1 endpoint: method, path, body. */
    static final List<Object[]> ENDPOINTS = List.of(
            new Object[]{"POST", "/v1/embeddings", Map.of("input", "hello")},
            new Object[]{"POST", "/v1/similarity", Map.of("source", "a", "candidates", List.of("b"))},
            new Object[]{"POST", "/v1/classify", Map.of("input", "a", "labels", List.of("b"))},
            new Object[]{"GET", "/v1/models", null},
            new Object[]{"GET", "/v1/models/" + InferenceApi.MODEL, null},
            new Object[]{"GET", "/v1/jobs", null},
            new Object[]{"POST", "/v1/jobs", Map.of("type", "embed_batch", "inputs", List.of("a"))},
            new Object[]{"GET", "/v1/jobs/" + UUID.randomUUID(), null},
            new Object[]{"GET", "/v1/collections", null},
            new Object[]{"POST", "/v1/collections", Map.of("name", "x")},
            new Object[]{"POST", "/v1/collections/x/search", Map.of("query", "q")},
            new Object[]{"POST", "/v1/admin/dead-letters/users.v1/replay", null});

    /** The state Redis: the deny-list user-service writes. */
    @InjectLocalServer
    LocalRedis stateRedisServer;

    @Inject
    RedisDataSource stateRedis;

    @Inject
    @RedisClientName(EmbeddingCache.REDIS_CLIENT)
    RedisDataSource cacheRedis;

    @TestHTTPResource("/v1/stream")
    URI stream;

    private static io.restassured.response.Response call(Object[] endpoint, io.restassured.specification.RequestSpecification request) {
        if (endpoint[2] != null) {
            request = request.contentType(ContentType.JSON).body(endpoint[2]);
        }
        return request.request((String) endpoint[0], (String) endpoint[1]);
    }

    private int upgradeStatus(String token) {
        URI ws = URI.create(stream.toString().replaceFirst("^http", "ws"));
        WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder();
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        try {
            builder.buildAsync(ws, new WebSocket.Listener() { }).join().abort();
            return 101;
        } catch (CompletionException e) {
            return assertInstanceOf(WebSocketHandshakeException.class, e.getCause()).getResponse().statusCode();
        }
    }

    @Test
    void withoutATokenEveryEndpointAnswers401EvenWithIdentityHeaders() {
        for (Object[] endpoint : ENDPOINTS) {
            call(endpoint, given().header("X-User-Id", UUID.randomUUID().toString())
                    .header("X-User-Roles", "admin").header("X-User-Tier", "pro"))
                    .then().statusCode(401)
                    .header("WWW-Authenticate", startsWith("Bearer"))
                    .body("error.code", equalTo("invalid_api_key"))
                    .body("error.type", equalTo("invalid_request_error"));
        }
        assertEquals(401, upgradeStatus(null));
        assertEquals(101, upgradeStatus(JobsTest.token(UUID.randomUUID())));
    }

    @Test
    void aForgedUserHeaderDoesNotChangeWhoTheCallerIs() {
        UUID caller = UUID.randomUUID();
        UUID victim = UUID.randomUUID();
        as(caller).header("X-User-Id", victim.toString())
                .body(Map.of("input", "whose text is this " + UUID.randomUUID(), "model", JobsTest.FP32))
                .post("/v1/embeddings").then().statusCode(200);
        // the inputs are recorded as the token's subject's (what erasing a user deletes), never the header's
        assertEquals(1, cacheRedis.set(String.class).smembers("meridian:emb-owner:v1:" + caller).size());
        assertFalse(cacheRedis.key().exists("meridian:emb-owner:v1:" + victim));

        String job = as(caller).header("X-User-Id", victim.toString())
                .body(Map.of("type", "embed_batch", "inputs", List.of("mine"))).post("/v1/jobs")
                .then().statusCode(202).extract().path("id");
        as(caller).get("/v1/jobs/" + job).then().statusCode(200);
        as(victim).get("/v1/jobs/" + job).then().statusCode(404);
    }

    @Test
    void aRevokedTokenIs401OnEveryCallMadeDirectly() {
        UUID user = UUID.randomUUID();
        String token = JobsTest.token(user);
        as(user).body(Map.of("input", "before")).post("/v1/embeddings").then().statusCode(200);

        // as user-service revokes a user's tokens (disable, erase, role change): every token issued until now
        stateRedis.value(String.class).set(TokenRevocation.userKey(user.toString()),
                Long.toString(Instant.now().getEpochSecond()));
        for (Object[] endpoint : ENDPOINTS) {
            call(endpoint, given().header("Authorization", "Bearer " + token)).then().statusCode(401)
                    .header("WWW-Authenticate", startsWith("Bearer"))
                    .body("error.code", equalTo("invalid_api_key"));
        }
        assertEquals(401, upgradeStatus(token));

        // a revoked API key revokes the tokens minted from it, and only those
        UUID owner = UUID.randomUUID();
        String keyId = UUID.randomUUID().toString();
        String fromKey = Jwt.issuer("https://meridian.dev/user-service").subject(owner.toString()).audience("meridian")
                .groups(Set.of("user")).claim("tier", "free").claim(TokenRevocation.API_KEY_CLAIM, keyId)
                .jws().keyId("test-key").sign();
        stateRedis.value(String.class).set(TokenRevocation.apiKeyKey(owner.toString(), keyId),
                Long.toString(Instant.now().getEpochSecond()));
        given().header("Authorization", "Bearer " + fromKey).get("/v1/models").then().statusCode(401);
        as(owner).get("/v1/models").then().statusCode(200);
    }

    @Test
    void aDisabledAccountIs403OnEveryCall() throws Exception {
        UUID user = UUID.randomUUID();
        String token = JobsTest.token(user);
        UserEventsTest.publishAndAwait(new UserUpdated(user, 5, "Off", List.of("user"), "free", UserStatus.DISABLED,
                Instant.now()));
        for (Object[] endpoint : ENDPOINTS) {
            call(endpoint, given().header("Authorization", "Bearer " + token)).then().statusCode(403)
                    .body("error.code", equalTo("account_disabled"));
        }
        int upgrade = upgradeStatus(token);
        assertTrue(upgrade == 401 || upgrade == 403, "the upgrade of a disabled account was answered " + upgrade);
    }

    @Test
    void withTheStateRedisFrozenCallsAnswerAtMostASecondSlowerAndAdminPowersWait() throws Exception {
        UUID user = UUID.randomUUID();
        UUID admin = UUID.randomUUID();
        as(user).body(Map.of("input", "warm up", "model", JobsTest.FP32)).post("/v1/embeddings").then().statusCode(200);
        long unfrozen = 0; // the same calls with nothing frozen: a busy machine alone can take them past a fixed bound
        for (int i = 0; i < 3; i++) {
            unfrozen = Math.max(unfrozen, timedEmbedding(user, "unfrozen " + i));
        }
        signal("STOP", stateRedisServer.pid());
        try {
            for (int i = 0; i < 3; i++) {
                long millis = timedEmbedding(user, "frozen deny-list " + i);
                assertTrue(millis < unfrozen + 1000, "embeddings took " + millis + " ms with the state Redis frozen, "
                        + unfrozen + " ms at most with nothing frozen");
            }
            // unknown revocation: ordinary calls pass on the token, an admin acting on another user's data does not
            as(admin, "user", "admin").get("/v1/collections").then().statusCode(200);
            as(admin, "user", "admin").get("/v1/collections?owner=" + user).then().statusCode(503)
                    .header("Retry-After", equalTo("1"))
                    .body("error.code", equalTo("revocation_check_unavailable"));
        } finally {
            signal("CONT", stateRedisServer.pid());
        }
        await().atMost(Duration.ofSeconds(10)).until(() ->
                as(admin, "user", "admin").get("/v1/collections?owner=" + user).statusCode() == 200);
    }

    private static long timedEmbedding(UUID user, String input) {
        long start = System.nanoTime();
        as(user).body(Map.of("input", input + " " + UUID.randomUUID(), "model", JobsTest.FP32))
                .post("/v1/embeddings").then().statusCode(200);
        return (System.nanoTime() - start) / 1_000_000;
    }

    static void signal(String signal, long pid) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor());
    }
}
