package dev.meridian.inference;

import dev.meridian.inference.ConcurrentCalls.Call;
import dev.meridian.inference.ConcurrentCalls.Outcome;
import dev.meridian.local.infra.LocalPostgres;
import dev.meridian.local.testing.InjectLocalServer;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.meridian.inference.JobsTest.as;
import static dev.meridian.inference.JobsTest.awaitStatus;
import static dev.meridian.inference.JobsTest.submit;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PostgreSQL frozen (every process of it stopped, as a stalled disk or a partition looks to a client) and then
 * refusing connections, while a hundred clients use the job and collection routes: each answers 503 with Retry-After
 * in OpenAI's error shape within the database deadline (5 s) instead of hanging or answering 500; embeddings, which
 * need no database, keep answering 200 and are billed once it is back; everything works again then.
 */
@QuarkusTest
class DatabaseOutageTest {

    private static final Logger LOG = Logger.getLogger(DatabaseOutageTest.class);
    private static final long DEADLINE_MS = 5_000;
    /** The deadline, plus the time a busy 2-core machine takes to answer once it passed. */
    private static final long ANSWER_WITHIN_MS = DEADLINE_MS + 1_500;
    private static final int CLIENTS_PER_ROUTE = 15;

    @InjectLocalServer
    LocalPostgres postgres;

    @TestHTTPResource("/")
    URL base;

    private ConcurrentCalls clients;

    @Test
    void jobAndCollectionRoutesAnswer503WithinTheDeadlineWhileTheDatabaseIsFrozenOrRefusing() throws Exception {
        clients = new ConcurrentCalls(base, Duration.ofSeconds(30));
        UUID user = UUID.randomUUID();
        String token = JobsTest.token(user);
        String job = submit(user, UserEventsTest.jobOf(2));
        awaitStatus(user, job, "completed");
        CollectionsTest.create(user, "notes");
        as(user).body(Map.of("documents", List.of(Map.of("id", "n1", "text", "a note before the outage"))))
                .post("/v1/collections/notes/documents").then().statusCode(200);

        long outageStart = java.time.Instant.now().getEpochSecond();
        List<Long> frozen = postgresProcesses();
        signal("STOP", frozen);
        List<Outcome> whileFrozen;
        double shipFailures = InferenceApi.metric("meridian_inference_usage_ship_failures_total");
        try {
            whileFrozen = clients.round(calls(token, job));
            // frozen until the usage shipper has tried to store the embeddings just answered, and failed
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    InferenceApi.metric("meridian_inference_usage_ship_failures_total") > shipFailures);
        } finally {
            signal("CONT", frozen);
        }
        assertOutcomes("frozen", whileFrozen);
        awaitRecovered(token, job);

        allowConnections(false);
        List<Outcome> whileRefusing;
        try {
            whileRefusing = clients.round(calls(token, job));
        } finally {
            allowConnections(true);
        }
        assertOutcomes("refusing connections", whileRefusing);
        awaitRecovered(token, job);

        // nothing acknowledged before the outage was lost
        as(user).get("/v1/collections/notes").then().statusCode(200);
        assertEquals(1, CollectionsTest.documentsInDatabase(user));
        // and every embedding answered during both outages is billed once (the usage journal shipped it afterwards)
        long answered = whileFrozen.stream().filter(o -> o.route().equals("POST /v1/embeddings")).count()
                + whileRefusing.stream().filter(o -> o.route().equals("POST /v1/embeddings")).count();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals(answered, billedEmbeddings(user,
                outageStart)));
    }

    private List<Call> calls(String token, String job) {
        String search = "{\"query\":\"note\",\"k\":1}";
        String documents = "{\"documents\":[{\"id\":\"n" + UUID.randomUUID() + "\",\"text\":\"written during the outage\"}]}";
        String newJob = "{\"type\":\"embed_batch\",\"model\":\"" + JobsTest.FP32 + "\",\"inputs\":[\"a\",\"b\"]}";
        List<Call> calls = new ArrayList<>();
        for (int i = 0; i < CLIENTS_PER_ROUTE; i++) {
            calls.add(new Call("GET /v1/jobs/{id}", 503, clients.get("/v1/jobs/" + job, token)));
            calls.add(new Call("GET /v1/jobs", 503, clients.get("/v1/jobs", token)));
            calls.add(new Call("POST /v1/jobs", 503, clients.json("/v1/jobs", token, newJob)));
            calls.add(new Call("GET /v1/collections", 503, clients.get("/v1/collections", token)));
            calls.add(new Call("POST search", 503, clients.json("/v1/collections/notes/search", token, search)));
            calls.add(new Call("POST documents", 503, clients.json("/v1/collections/notes/documents", token, documents)));
            calls.add(new Call("POST /v1/embeddings", 200, clients.json("/v1/embeddings", token,
                    "{\"input\":\"no database needed " + UUID.randomUUID() + "\"}")));
        }
        return calls;
    }

    private static long billedEmbeddings(UUID user, long since) {
        List<Map<String, Object>> results = as(user).get("/v1/usage?start_time=" + since
                        + "&bucket_width=1d&group_by=endpoint").then().statusCode(200).extract().jsonPath()
                .getList("data.results.flatten()");
        return results.stream().filter(r -> "/v1/embeddings".equals(r.get("endpoint")))
                .mapToLong(r -> ((Number) r.get("num_model_requests")).longValue()).sum();
    }

    private static void assertOutcomes(String outage, List<Outcome> outcomes) {
        ConcurrentCalls.summary(outcomes).forEach((route, answers) -> LOG.infof("database %s: %-20s %s", outage, route,
                answers));
        for (Outcome o : outcomes) {
            assertEquals(o.expected(), o.status(), o.route() + " with the database " + outage + ": " + o);
            assertTrue(o.millis() < ANSWER_WITHIN_MS, o.route() + " took " + o.millis() + " ms with the database "
                    + outage);
            if (o.status() == 503) {
                assertEquals("database_unavailable", o.code(), o.route());
                assertTrue(o.retryAfter() != null && Integer.parseInt(o.retryAfter()) > 0, o.route() + " without Retry-After");
            }
        }
    }

    private void awaitRecovered(String token, String job) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            for (Outcome outcome : clients.round(List.of(
                    new Call("job", 200, clients.get("/v1/jobs/" + job, token)),
                    new Call("collections", 200, clients.get("/v1/collections", token))))) {
                assertEquals(200, outcome.status(), outcome.route() + " once the database is back");
            }
        });
    }

    /** The postmaster and every backend and helper it forked: stopping only the postmaster freezes nothing. */
    private List<Long> postgresProcesses() throws Exception {
        List<Long> pids = new ArrayList<>(List.of(postgres.pid()));
        Process children = new ProcessBuilder("pgrep", "-P", Long.toString(postgres.pid())).start();
        for (String line : new String(children.getInputStream().readAllBytes()).split("\\s+")) {
            if (!line.isBlank()) {
                pids.add(Long.parseLong(line.trim()));
            }
        }
        assertEquals(0, children.waitFor(), "pgrep -P " + postgres.pid());
        return pids;
    }

    private static void signal(String signal, List<Long> pids) throws Exception {
        List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
        pids.forEach(pid -> command.add(Long.toString(pid)));
        assertEquals(0, new ProcessBuilder(command).inheritIO().start().waitFor(), String.join(" ", command));
    }

    /** New connections refused and open ones cut, as a database restart or failover looks to the service. */
    private void allowConnections(boolean allow) throws Exception {
        try (Connection admin = DriverManager.getConnection(postgres.jdbcUrl("postgres"), LocalPostgres.USER,
                LocalPostgres.USER); Statement sql = admin.createStatement()) {
            sql.execute("ALTER DATABASE " + ErasureRecoveryTest.DATABASE + " WITH ALLOW_CONNECTIONS " + allow);
            if (!allow) {
                sql.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"
                        + ErasureRecoveryTest.DATABASE + "'");
            }
        }
    }

}
