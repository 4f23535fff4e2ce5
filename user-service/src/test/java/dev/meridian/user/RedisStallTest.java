package dev.meridian.user;

import dev.meridian.local.infra.LocalRedis;
import dev.meridian.local.testing.InjectLocalServer;
import dev.meridian.revocation.TokenRevocation;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.pgclient.PgException;
import jakarta.inject.Inject;
import org.hibernate.JDBCException;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import static dev.meridian.user.UserApi.PASSWORD;
import static dev.meridian.user.UserApi.adminToken;
import static dev.meridian.user.UserApi.login;
import static dev.meridian.user.UserApi.me;
import static dev.meridian.user.UserApi.signUp;
import static dev.meridian.user.UserApi.uniqueEmail;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The state Redis frozen (SIGSTOP, as a stalled server or a network partition looks to a client) for about 10 s:
 * every route a client uses answers with its stated behaviour, less than a second slower than under the same load with
 * nothing frozen (README "Failure behaviour").
 */
@QuarkusTest
class RedisStallTest {

    private static final Logger LOG = Logger.getLogger(RedisStallTest.class);

    private static final Duration FREEZE = Duration.ofSeconds(10);
    /**
     * What a frozen Redis may add to a route's slowest answer under this load: the deadlines cost at most about 0.7 s.
     * Compared with the same load and nothing frozen in the same run, because on a busy 2-core machine the load alone
     * takes routes past any fixed bound (2 busy loops beside the test: login 1,013 ms, and login never touches Redis).
     */
    private static final long MAX_ADDED_MS = 1000;

    @InjectLocalServer
    LocalRedis redis;

    @TestHTTPResource("/")
    URL base;

    @Inject
    Pool pool;

    @Inject
    RedisDataSource state;

    @Inject
    Mutiny.SessionFactory sessions;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    record Call(String name, int expected, HttpRequest request) {
    }

    record Outcome(String name, int expected, int status, long millis, String retryAfter, String contentType) {
    }

    @Test
    void everyRouteAnswersAsStatedAndAtMostASecondSlowerWhileRedisIsFrozen() throws Exception {
        String email = uniqueEmail();
        String owner = signUp(email, PASSWORD, "Frozen").then().statusCode(201).extract().path("id");
        JsonPath tokens = login(email, PASSWORD).then().statusCode(200).extract().jsonPath();
        String access = tokens.getString("access_token");
        AtomicReference<String> refresh = new AtomicReference<>(tokens.getString("refresh_token"));
        String admin = adminToken();
        String target = signUp(uniqueEmail(), PASSWORD, "Target").then().statusCode(201).extract().path("id");
        JsonPath key = given().auth().oauth2(access).contentType(ContentType.JSON).body(Map.of("name", "ci"))
                .post("/v1/users/me/api-keys").then().statusCode(201).extract().jsonPath();
        String machineToken = given().contentType(ContentType.JSON)
                .body(Map.of("grant_type", "api_key", "api_key", key.getString("key")))
                .post("/v1/auth/token").then().statusCode(200).extract().path("access_token");
        me(machineToken).then().statusCode(200);
        // the unfrozen rounds revoke a key of their own: the frozen ones' key must stay usable until the end
        String otherKey = given().auth().oauth2(access).contentType(ContentType.JSON).body(Map.of("name", "other"))
                .post("/v1/users/me/api-keys").then().statusCode(201).extract().path("id");

        List<Outcome> unfrozen;
        List<Outcome> frozen;
        ExecutorService clients = Executors.newFixedThreadPool(12);
        try {
            rounds(clients, Duration.ofSeconds(1), () -> calls(access, refresh.get(), admin, target, otherKey, false), refresh); // warm-up
            unfrozen = rounds(clients, FREEZE.minusSeconds(2),
                    () -> calls(access, refresh.get(), admin, target, otherKey, false), refresh);
            signal("STOP");
            try {
                // rounds until the freeze ends: later rounds meet a Redis client whose connections are all stuck
                frozen = rounds(clients, FREEZE.minusSeconds(2),
                        () -> calls(access, refresh.get(), admin, target, key.getString("id"), true), refresh);
            } finally {
                signal("CONT");
            }
        } finally {
            clients.shutdownNow();
        }
        Map<String, List<Outcome>> unfrozenByRoute = byRoute("nothing frozen", unfrozen);
        Map<String, List<Outcome>> byRoute = byRoute("Redis frozen", frozen);
        for (Outcome o : unfrozen) {
            assertEquals(o.expected(), o.status(), o.name() + " with nothing frozen: " + unfrozenByRoute.get(o.name()));
        }
        for (Outcome o : frozen) {
            long before = slowest(unfrozenByRoute.get(o.name()));
            assertEquals(o.expected(), o.status(), o.name() + " while Redis was frozen: " + byRoute.get(o.name()));
            assertTrue(o.millis() < before + MAX_ADDED_MS, o.name() + " took " + o.millis()
                    + " ms while Redis was frozen, " + before + " ms at most with nothing frozen");
            if (o.status() == 503) {
                assertTrue(o.retryAfter() != null && Integer.parseInt(o.retryAfter()) > 0, o.name() + " without Retry-After");
                assertEquals("application/problem+json", o.contentType(), o.name());
            }
        }
        assertTrue(byRoute.get("refresh").size() >= 2, "expected several rounds, got " + byRoute);

        // Redis back: the admin routes work again, and retrying the refused key revocation writes it at last
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                given().auth().oauth2(admin).get("/v1/admin/users?limit=1").then().statusCode(200));
        // a write that missed its deadline may still land once Redis wakes up, or may be lost: take the worse case
        state.key().del(TokenRevocation.apiKeyKey(owner, key.getString("id")));
        me(machineToken).then().statusCode(200); // the refused revocation is not in effect...
        given().auth().oauth2(access).delete("/v1/users/me/api-keys/" + key.getString("id")).then().statusCode(204);
        me(machineToken).then().statusCode(401); // ...until its retry writes it
        me(access).then().statusCode(200);
    }

    /** The database half of the deadlines: every pooled connection carries PostgreSQL's statement_timeout. */
    @Test
    void everyDatabaseStatementHasAServerSideDeadline() throws Throwable {
        String timeout = pool.query("SHOW statement_timeout").execute().await().atMost(Duration.ofSeconds(10))
                .iterator().next().getString(0);
        assertEquals("2s", timeout);
        // Hibernate Reactive (the repositories) draws its connections from the same pool
        String viaHibernate = VertxContextSupport.subscribeAndAwait(() -> sessions.withSession(session -> session
                .createNativeQuery("SELECT current_setting('statement_timeout')", String.class).getSingleResult()));
        assertEquals("2s", viaHibernate);
    }

    /** A statement running past the deadline is cancelled by PostgreSQL (query_canceled) after 2 s, not 3. */
    @Test
    void aStatementPastTheDeadlineIsCancelledByTheServer() {
        assertCancelledWithinTheDeadline("pool", () ->
                pool.query("SELECT pg_sleep(3)").execute().await().atMost(Duration.ofSeconds(10)));
        assertCancelledWithinTheDeadline("Hibernate Reactive", () -> VertxContextSupport.subscribeAndAwait(() ->
                sessions.withSession(session -> session.createNativeQuery("SELECT pg_sleep(3)").getSingleResult())));
    }

    private static void assertCancelledWithinTheDeadline(String path, Executable statement) {
        long start = System.nanoTime();
        Throwable failure = assertThrows(Throwable.class, statement, path + ": pg_sleep(3) was not cancelled");
        long millis = (System.nanoTime() - start) / 1_000_000;
        String state = null; // the pool fails with PgException, Hibernate Reactive wraps it in a JDBCException
        for (Throwable t = failure; t != null && state == null; t = t.getCause() == t ? null : t.getCause()) {
            state = t instanceof PgException pg ? pg.getSqlState() : t instanceof JDBCException jdbc ? jdbc.getSQLState() : null;
        }
        assertEquals("57014", state, path + ": expected query_canceled, got " + failure);
        assertTrue(millis >= 1500 && millis < 2800, path + ": cancelled after " + millis + " ms");
    }

    /** Rounds of every call at once, for about {@code duration}. */
    private List<Outcome> rounds(ExecutorService clients, Duration duration, Supplier<List<Call>> calls,
                                 AtomicReference<String> refresh) throws Exception {
        List<Outcome> outcomes = new ArrayList<>();
        long start = System.nanoTime();
        while (System.nanoTime() - start < duration.toNanos()) {
            List<Future<Outcome>> round = new ArrayList<>();
            for (Call call : calls.get()) {
                round.add(clients.submit(() -> send(call, refresh)));
            }
            for (Future<Outcome> outcome : round) {
                outcomes.add(outcome.get());
            }
        }
        return outcomes;
    }

    private static Map<String, List<Outcome>> byRoute(String what, List<Outcome> outcomes) {
        Map<String, List<Outcome>> byRoute = new LinkedHashMap<>();
        outcomes.forEach(o -> byRoute.computeIfAbsent(o.name(), n -> new ArrayList<>()).add(o));
        byRoute.forEach((route, list) -> LOG.infof("%s: %-20s %s, slowest %d ms", what, route,
                list.stream().map(o -> Integer.toString(o.status())).distinct().toList(), slowest(list)));
        return byRoute;
    }

    private static long slowest(List<Outcome> outcomes) {
        return outcomes.stream().mapToLong(Outcome::millis).max().orElse(0);
    }

    /** What each route answers while Redis is {@code frozen}, or with nothing frozen. */
    private List<Call> calls(String access, String refreshToken, String admin, String target, String keyId,
                             boolean frozen) {
        int needsDenyList = frozen ? 503 : 200;
        return List.of(
                new Call("sign-up", 201, json("/v1/users", null, "POST",
                        "{\"email\":\"" + uniqueEmail() + "\",\"password\":\"" + PASSWORD + "\",\"displayName\":\"S\"}")),
                new Call("login", 200, json("/v1/auth/token", null, "POST", "{\"email\":\"" + UserApi.ADMIN_EMAIL
                        + "\",\"password\":\"" + UserApi.ADMIN_PASSWORD + "\"}")),
                new Call("refresh", 200, json("/v1/auth/refresh", null, "POST",
                        "{\"refresh_token\":\"" + refreshToken + "\"}")),
                new Call("GET /v1/users/me", 200, request("/v1/users/me", access).GET().build()),
                new Call("PATCH /v1/users/me", 200, json("/v1/users/me", access, "PATCH", "{\"displayName\":\"Still here\"}")),
                new Call("export", 200, request("/v1/users/me/export", access).GET().build()),
                new Call("list API keys", 200, request("/v1/users/me/api-keys", access).GET().build()),
                new Call("revoke API key", frozen ? 503 : 204, request("/v1/users/me/api-keys/" + keyId, access).DELETE().build()),
                new Call("admin list", needsDenyList, request("/v1/admin/users", admin).GET().build()),
                new Call("admin patch", needsDenyList, json("/v1/admin/users/" + target, admin, "PATCH", "{\"tier\":\"pro\"}")));
    }

    private Outcome send(Call call, AtomicReference<String> refresh) throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> response = http.send(call.request(), HttpResponse.BodyHandlers.ofString());
        long millis = (System.nanoTime() - start) / 1_000_000;
        if (call.name().equals("refresh") && response.statusCode() == 200) {
            refresh.set(new JsonPath(response.body()).getString("refresh_token")); // refresh tokens are single use
        }
        return new Outcome(call.name(), call.expected(), response.statusCode(), millis,
                response.headers().firstValue("Retry-After").orElse(null),
                response.headers().firstValue("Content-Type").orElse(null));
    }

    private HttpRequest.Builder request(String path, String token) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base.toString().replaceAll("/$", "") + path))
                .timeout(Duration.ofSeconds(15));
        return token == null ? builder : builder.header("Authorization", "Bearer " + token);
    }

    private HttpRequest json(String path, String token, String method, String body) {
        return request(path, token).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private void signal(String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(redis.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + signal + " " + redis.pid());
    }
}
