package dev.meridian.user;

import dev.meridian.events.EventEnvelope;
import dev.meridian.events.MeridianEvent;
import dev.meridian.events.user.UserRegistered;
import dev.meridian.local.infra.LocalPostgres;
import dev.meridian.local.infra.Ports;
import dev.meridian.local.testing.InjectLocalServer;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static dev.meridian.user.UserApi.PASSWORD;
import static dev.meridian.user.UserApi.login;
import static dev.meridian.user.UserApi.signUp;
import static dev.meridian.user.UserApi.uniqueEmail;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PostgreSQL SIGKILLed (every process, as the OOM killer or a lost node does it) in the middle of a burst of sign-ups:
 * after it restarts and recovers, every sign-up that was answered 201 exists, can log in, and its UserRegistered is
 * published (the outbox row committed with it), as one event id; the others were told to retry, never 500.
 */
@QuarkusTest
class PostgresCrashTest {

    private static final Logger LOG = Logger.getLogger(PostgresCrashTest.class);
    /** Clients signing up one account after another (150 at once overload the hasher: README, user-service). */
    private static final int CLIENTS = 30;
    private static final int SIGN_UPS_EACH = 5;
    private static final int KILL_AFTER = 40;

    @InjectLocalServer
    LocalPostgres postgres;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void everyAcknowledgedSignUpSurvivesAKilledDatabaseAndIsPublished() throws Exception {
        Map<String, String> acknowledged = new ConcurrentHashMap<>(); // email -> id
        AtomicInteger answered = new AtomicInteger();
        CountDownLatch enough = new CountDownLatch(KILL_AFTER);
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        List<Future<List<Response>>> answers = new ArrayList<>();
        try {
            for (int i = 0; i < CLIENTS; i++) {
                answers.add(clients.submit(() -> {
                    List<Response> mine = new ArrayList<>();
                    for (int n = 0; n < SIGN_UPS_EACH; n++) {
                        String email = uniqueEmail();
                        Response response = signUp(email, PASSWORD, "Crash " + email);
                        if (response.statusCode() == 201) {
                            acknowledged.put(email, response.path("id"));
                            enough.countDown();
                        }
                        answered.incrementAndGet();
                        mine.add(response);
                    }
                    return mine;
                }));
            }
            if (!enough.await(60, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new AssertionError("only " + acknowledged.size() + " sign-ups acknowledged in a minute");
            }
            long postmaster = postgres.pid();
            killAll(postmaster);
            int atKill = answered.get();
            Map<Integer, Long> statuses = new java.util.TreeMap<>();
            for (Future<List<Response>> answer : answers) {
                for (Response response : answer.get()) {
                    statuses.merge(response.statusCode(), 1L, Long::sum);
                    assertTrue(response.statusCode() == 201 || response.statusCode() == 503,
                            "a sign-up answered " + response.statusCode() + ": " + response.asString());
                }
            }
            LOG.infof("killed after %d answers; answers: %s", atKill, statuses);
            assertTrue(statuses.getOrDefault(503, 0L) > 0, "the database was killed after every sign-up: " + statuses);
            await().atMost(Duration.ofSeconds(30)).until(() -> !Ports.accepts(postgres.port())
                    && ProcessHandle.of(postmaster).map(process -> !process.isAlive()).orElse(true));
        } finally {
            clients.shutdownNow();
        }

        postgres.restartAfterCrash();

        // every acknowledged account is there and can log in, once the pool has reconnected on its own
        await().atMost(Duration.ofSeconds(30)).until(() -> login(UserApi.ADMIN_EMAIL, UserApi.ADMIN_PASSWORD)
                .statusCode() == 200);
        for (String email : acknowledged.keySet()) {
            assertEquals(200, login(email, PASSWORD).statusCode(), "the acknowledged sign-up of " + email
                    + " was lost in the crash");
        }
        // and each got its UserRegistered. A row sent to Kafka just before the database died, but not yet marked
        // sent, goes out again after the restart: the same event (same CloudEvent id), which consumers dedupe
        Set<String> users = Set.copyOf(acknowledged.values());
        List<EventEnvelope<MeridianEvent>> events = UsersTopic.awaitUntil(bootstrap, users, read -> read.stream()
                .filter(e -> e.data() instanceof UserRegistered).map(EventEnvelope::subject).collect(Collectors.toSet())
                .containsAll(users), Duration.ofSeconds(60));
        Map<String, Set<String>> registered = events.stream().filter(e -> e.data() instanceof UserRegistered)
                .collect(Collectors.groupingBy(EventEnvelope::subject,
                        Collectors.mapping(EventEnvelope::id, Collectors.toSet())));
        long copies = events.stream().filter(e -> e.data() instanceof UserRegistered).count() - registered.size();
        LOG.infof("%d UserRegistered published again after the crash (same event ids)", copies);
        for (String id : users) {
            assertEquals(1, registered.getOrDefault(id, Set.of()).size(), "UserRegistered (distinct event ids) of"
                    + " acknowledged user " + id);
        }
    }

    /** The postmaster and every backend at once. */
    private static void killAll(long postmaster) throws Exception {
        List<String> kill = new ArrayList<>(List.of("kill", "-KILL", Long.toString(postmaster)));
        Process children = new ProcessBuilder("pgrep", "-P", Long.toString(postmaster)).start();
        for (String child : new String(children.getInputStream().readAllBytes()).trim().split("\\s+")) {
            if (!child.isEmpty()) {
                kill.add(child);
            }
        }
        assertEquals(0, new ProcessBuilder(kill).inheritIO().start().waitFor(), String.join(" ", kill));
    }
}
