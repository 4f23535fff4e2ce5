package dev.meridian.inference;

import dev.meridian.inference.ConcurrentCalls.Call;
import dev.meridian.inference.ConcurrentCalls.Outcome;
import dev.meridian.local.infra.LocalCacheRedis;
import dev.meridian.local.infra.LocalRedis;
import dev.meridian.local.infra.LocalServer;
import dev.meridian.local.testing.InjectLocalServer;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.meridian.inference.JobsTest.as;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each Redis frozen (SIGSTOP, as a stalled server or a partition looks to a client) for 10 s while clients keep using
 * every route: each answers with its stated behaviour, less than a second slower than under the same load with nothing
 * frozen (README "Failure behaviour (inference-service)").
 */
@QuarkusTest
class RedisStallTest {

    private static final Logger LOG = Logger.getLogger(RedisStallTest.class);
    private static final Duration FREEZE = Duration.ofSeconds(10);
    /**
     * What a frozen Redis may add to a route's slowest answer under this load: the deadlines cost at most about 0.6 s.
     * Compared with the same load and nothing frozen in the same run, because on a busy 2-core machine the load alone
     * can take a route past any fixed bound (2 busy loops beside the test: every route about 1 s, Redis or not).
     */
    private static final long MAX_ADDED_MS = 1000;
    private static final int CLIENTS_PER_ROUTE = 2;

    @InjectLocalServer
    LocalRedis stateRedis;

    @InjectLocalServer
    LocalCacheRedis cacheRedis;

    @TestHTTPResource("/")
    URL base;

    private ConcurrentCalls clients;

    @Test
    void everyRouteAnswersAsStatedAndAtMostASecondSlowerWhileEitherRedisIsFrozen() throws Exception {
        clients = new ConcurrentCalls(base, Duration.ofSeconds(15));
        UUID user = UUID.randomUUID();
        UUID admin = UUID.randomUUID();
        CollectionsTest.create(user, "notes");
        as(user).body(Map.of("documents", List.of(Map.of("id", "n1", "text", "a note before the freeze"))))
                .post("/v1/collections/notes/documents").then().statusCode(200);

        clients.round(calls(user, admin, 200)); // warm up: the first calls of a path pay for class loading and JIT
        clients.round(calls(user, admin, 200));
        List<Outcome> unfrozen = rounds(user, admin, 200); // the same load with nothing frozen, for comparison
        assertOutcomes("no", unfrozen, null);
        Map<String, Long> slowest = ConcurrentCalls.slowest(unfrozen);
        // the deny-list and token budgets: ordinary calls go on checked by signature, admin powers wait
        assertOutcomes("state", whileFrozen(stateRedis, user, admin, 503), slowest);
        // the vector cache: answers come from the model
        assertOutcomes("cache", whileFrozen(cacheRedis, user, admin, 200), slowest);
    }

    private List<Outcome> whileFrozen(LocalServer redis, UUID user, UUID admin, int adminExpected) throws Exception {
        signal("STOP", redis.pid());
        try {
            // rounds until the freeze ends: later rounds meet clients whose connections are all stuck
            return rounds(user, admin, adminExpected);
        } finally {
            signal("CONT", redis.pid());
        }
    }

    private List<Outcome> rounds(UUID user, UUID admin, int adminExpected) {
        List<Outcome> outcomes = new ArrayList<>();
        int rounds = 0;
        long start = System.nanoTime();
        while (System.nanoTime() - start < FREEZE.minusSeconds(2).toNanos()) {
            outcomes.addAll(clients.round(calls(user, admin, adminExpected)));
            rounds++;
        }
        assertTrue(rounds >= 3, "only " + rounds + " rounds");
        return outcomes;
    }

    private List<Call> calls(UUID user, UUID admin, int adminExpected) {
        String token = JobsTest.token(user);
        String adminToken = JobsTest.token(admin, "user", "admin");
        List<Call> calls = new ArrayList<>();
        for (int i = 0; i < CLIENTS_PER_ROUTE; i++) {
            String fresh = UUID.randomUUID().toString();
            calls.add(new Call("POST /v1/embeddings", 200, clients.json("/v1/embeddings", token,
                    "{\"input\":\"frozen " + fresh + "\"}")));
            calls.add(new Call("POST /v1/similarity", 200, clients.json("/v1/similarity", token,
                    "{\"source\":\"a " + fresh + "\",\"candidates\":[\"b\"]}")));
            calls.add(new Call("POST /v1/classify", 200, clients.json("/v1/classify", token,
                    "{\"input\":\"c " + fresh + "\",\"labels\":[\"d\",\"e\"]}")));
            calls.add(new Call("GET /v1/models", 200, clients.get("/v1/models", token)));
            calls.add(new Call("GET /v1/jobs", 200, clients.get("/v1/jobs", token)));
            // each submission by a user of its own: the active-job quota is not what this test is about
            calls.add(new Call("POST /v1/jobs", 202, clients.json("/v1/jobs", JobsTest.token(UUID.randomUUID()),
                    "{\"type\":\"embed_batch\",\"inputs\":[\"j " + fresh + "\"]}")));
            calls.add(new Call("GET /v1/collections", 200, clients.get("/v1/collections", token)));
            calls.add(new Call("POST search", 200, clients.json("/v1/collections/notes/search", token,
                    "{\"query\":\"note " + fresh + "\"}")));
            calls.add(new Call("POST documents", 200, clients.json("/v1/collections/notes/documents", token,
                    "{\"documents\":[{\"id\":\"d" + fresh + "\",\"text\":\"written while frozen\"}]}")));
            calls.add(new Call("admin ?owner=", adminExpected, clients.get("/v1/collections?owner=" + user, adminToken)));
        }
        return calls;
    }

    /** {@code unfrozen}: each route's slowest answer with nothing frozen, or null for that run itself. */
    private static void assertOutcomes(String frozen, List<Outcome> outcomes, Map<String, Long> unfrozen) {
        ConcurrentCalls.summary(outcomes).forEach((route, answers) -> LOG.infof("%s Redis frozen: %-20s %s", frozen,
                route, answers));
        for (Outcome o : outcomes) {
            assertEquals(o.expected(), o.status(), o.route() + " with " + frozen + " Redis frozen: " + o);
            if (unfrozen != null) {
                assertTrue(o.millis() < unfrozen.get(o.route()) + MAX_ADDED_MS, o.route() + " took " + o.millis()
                        + " ms with " + frozen + " Redis frozen, " + unfrozen.get(o.route()) + " ms at most with nothing frozen");
            }
            if (o.status() == 503) {
                assertEquals("revocation_check_unavailable", o.code(), o.route());
            }
        }
    }

    private static void signal(String signal, long pid) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor(),
                "kill -" + signal + " " + pid);
    }

}
