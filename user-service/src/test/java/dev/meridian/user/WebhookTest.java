package dev.meridian.user;

import dev.meridian.events.CloudEventsKafka;
import dev.meridian.events.EventEnvelope;
import dev.meridian.events.inference.InferenceJobCancelled;
import dev.meridian.events.inference.InferenceJobCompleted;
import dev.meridian.events.inference.JobType;
import dev.meridian.user.WebhookReceiver.Received;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

@QuarkusTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebhookTest {

    private static final List<String> OWN_EVENTS = List.of("api_key.created", "api_key.revoked", "account.updated");
    private static WebhookReceiver receiver;
    /** Deliveries the other tests received, with their secret and whether they must verify: for the npm library. */
    private static final List<Map<String, Object>> REFERENCE_CASES = java.util.Collections.synchronizedList(
            new ArrayList<>());

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Inject
    Pool database;

    @BeforeAll
    static void startReceiver() throws Exception {
        receiver = new WebhookReceiver();
    }

    @AfterAll
    static void stopReceiver() throws Exception {
        receiver.close();
    }

    /** Creates a webhook; returns its JSON (with the secret). */
    static JsonPath subscribe(String token, String url, List<String> eventTypes) {
        return given().auth().oauth2(token).contentType(ContentType.JSON)
                .body(Map.of("url", url, "eventTypes", eventTypes))
                .post("/v1/webhooks").then().statusCode(201).body("secret", startsWith("whsec_"))
                .extract().jsonPath();
    }

    static String createKey(String token, String name) {
        return given().auth().oauth2(token).contentType(ContentType.JSON).body(Map.of("name", name))
                .post("/v1/users/me/api-keys").then().statusCode(201).extract().path("id");
    }

    static void revokeKey(String token, String id) {
        given().auth().oauth2(token).delete("/v1/users/me/api-keys/" + id).then().statusCode(204);
    }

    /** "type:keyId" of each accepted delivery, or "type" where the event is not about a key. */
    static List<String> events(List<Received> deliveries) {
        return deliveries.stream().map(r -> {
            JsonPath event = new JsonPath(r.body());
            String keyId = event.getString("data.keyId");
            return event.getString("type") + (keyId == null ? "" : ":" + keyId);
        }).toList();
    }

    @Test
    void everyEventArrivesSignedAndInOrderWhileReceiversFailAndOneHangs() throws Exception {
        int users = 40;
        String hangingOwner = UserApi.newUser().getString("access_token");
        subscribe(hangingOwner, receiver.url("/hang/1"), OWN_EVENTS);
        createKey(hangingOwner, "stuck");

        // signed up one after another: 40 Argon2 hashes at once on two cores would only test the password hasher
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < users; i++) {
            tokens.add(UserApi.newUser().getString("access_token"));
        }
        ExecutorService clients = Executors.newFixedThreadPool(users);
        try {
            List<Future<Map<String, Object>>> runs = new ArrayList<>();
            for (int i = 0; i < users; i++) {
                String path = "/flaky/" + i;
                String token = tokens.get(i);
                runs.add(clients.submit(() -> {
                    String secret = subscribe(token, receiver.url(path), OWN_EVENTS).getString("secret");
                    // one user's actions in order; the 40 users at once
                    String a = createKey(token, "a");
                    String b = createKey(token, "b");
                    revokeKey(token, a);
                    String c = createKey(token, "c");
                    revokeKey(token, b);
                    given().auth().oauth2(token).contentType(ContentType.JSON).body(Map.of("displayName", "Renamed"))
                            .patch("/v1/users/me").then().statusCode(200);
                    List<String> expected = List.of(
                            "dev.meridian.user.api_key.created.v1:" + a, "dev.meridian.user.api_key.created.v1:" + b,
                            "dev.meridian.user.api_key.revoked.v1:" + a, "dev.meridian.user.api_key.created.v1:" + c,
                            "dev.meridian.user.api_key.revoked.v1:" + b, "dev.meridian.user.updated.v1");
                    Map<String, Object> run = new LinkedHashMap<>();
                    run.put("path", path);
                    run.put("secret", secret);
                    run.put("expected", expected);
                    return run;
                }));
            }
            List<Map<String, Object>> done = new ArrayList<>();
            for (Future<Map<String, Object>> run : runs) {
                done.add(run.get(120, TimeUnit.SECONDS));
            }
            for (Map<String, Object> run : done) {
                String path = (String) run.get("path");
                @SuppressWarnings("unchecked")
                List<String> expected = (List<String>) run.get("expected");
                await().atMost(Duration.ofSeconds(90)).until(() -> receiver.acceptedOnce(path).size() >= expected.size());
                List<Received> accepted = receiver.acceptedOnce(path);
                assertEquals(expected, events(accepted), "deliveries to " + path + " out of order, lost or extra");
                for (Received delivery : receiver.received(path)) {
                    assertTrue(WebhookReceiver.verifies(delivery, (String) run.get("secret")),
                            "bad signature on " + delivery.id());
                    REFERENCE_CASES.add(Map.of("secret", run.get("secret"), "delivery", delivery, "valid", true));
                }
                assertTrue(receiver.requests(path) >= expected.size() + WebhookReceiver.FLAKY_FAILURES,
                        "the receiver's failures were not retried");
            }
        } finally {
            clients.shutdownNow();
        }
        // the hanging receiver held one delivery at a time and never the others'; its own is still waiting
        JsonPath hanging = given().auth().oauth2(hangingOwner).get("/v1/webhooks").then().extract().jsonPath();
        String hangingId = hanging.getString("[0].id");
        JsonPath log = given().auth().oauth2(hangingOwner).get("/v1/webhooks/" + hangingId + "/deliveries")
                .then().statusCode(200).extract().jsonPath();
        assertEquals("pending", log.getString("data[0].status"));
        assertEquals("timed out", log.getString("data[0].lastError"));
    }

    @Test
    void targetsOnInternalAddressesAreRefused() {
        String token = UserApi.newUser().getString("access_token");
        for (String url : List.of("http://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data/",
                "http://[::1]:8080/hook", "http://127.0.0.2:9/hook", "http://0.0.0.0/hook", "http://[::ffff:10.0.0.1]/hook",
                "http://2130706434/hook", "http://192.168.1.1/hook", "http://[fd00:ec2::254]/hook",
                "ftp://example.com/hook", "http://user:secret@example.com/hook", "not a url", "")) {
            given().auth().oauth2(token).contentType(ContentType.JSON)
                    .body(Map.of("url", url, "eventTypes", List.of("api_key.created")))
                    .post("/v1/webhooks").then().statusCode(422).contentType("application/problem+json")
                    .body("field", equalTo("url"));
        }
        String id = subscribe(token, receiver.url("/ok/refused"), List.of("api_key.created")).getString("id");
        given().auth().oauth2(token).contentType(ContentType.JSON).body(Map.of("url", "http://10.1.2.3/"))
                .patch("/v1/webhooks/" + id).then().statusCode(422).body("field", equalTo("url"));
        given().auth().oauth2(token).contentType(ContentType.JSON)
                .body(Map.of("url", receiver.url("/ok/x"), "eventTypes", List.of("no.such.event")))
                .post("/v1/webhooks").then().statusCode(422).body("field", equalTo("eventTypes"));
        given().auth().oauth2(token).contentType(ContentType.JSON)
                .body(Map.of("url", receiver.url("/ok/x"), "eventTypes", List.of("user.registered")))
                .post("/v1/webhooks").then().statusCode(422).body("field", equalTo("eventTypes"));
    }

    @Test
    void redirectsAreNotFollowedAndAReplayCarriesTheSameIdSignedByBothSecretsAfterARotation() throws Exception {
        String token = UserApi.newUser().getString("access_token");
        JsonPath redirecting = subscribe(token, receiver.url("/redirect/1"), List.of("api_key.created"));
        JsonPath webhook = subscribe(token, receiver.url("/ok/replay"), List.of("api_key.created"));
        String keyId = createKey(token, "replayed");
        await().atMost(Duration.ofSeconds(30)).until(() -> receiver.acceptedOnce("/ok/replay").size() == 1);
        Received first = receiver.acceptedOnce("/ok/replay").get(0);
        assertTrue(first.body().contains(keyId));

        // the 302 is a final answer: never followed, not retried
        String redirectId = redirecting.getString("id");
        await().atMost(Duration.ofSeconds(30)).until(() -> "failed".equals(given().auth().oauth2(token)
                .get("/v1/webhooks/" + redirectId + "/deliveries").then().extract().path("data[0].status")));
        assertEquals(1, receiver.requests("/redirect/1"));
        assertEquals(0, receiver.requests("/ok/redirected"));

        String id = webhook.getString("id");
        String newSecret = given().auth().oauth2(token).post("/v1/webhooks/" + id + "/secret/rotate")
                .then().statusCode(200).body("secret", startsWith("whsec_")).extract().path("secret");
        JsonPath log = given().auth().oauth2(token).get("/v1/webhooks/" + id + "/deliveries")
                .then().statusCode(200).body("data", hasSize(1)).body("data[0].status", equalTo("delivered"))
                .body("data[0].webhookId", equalTo(first.id())).extract().jsonPath();
        given().auth().oauth2(token).post("/v1/webhooks/" + id + "/deliveries/" + log.getLong("data[0].id") + "/replay")
                .then().statusCode(202);
        await().atMost(Duration.ofSeconds(30)).until(() -> receiver.received("/ok/replay").size() == 2);
        Received replayed = receiver.received("/ok/replay").get(1);
        assertEquals(first.id(), replayed.id(), "a replay keeps the webhook-id");
        assertEquals(first.body(), replayed.body());
        assertEquals(2, replayed.signature().split(" ").length, "both secrets sign during the overlap");
        assertTrue(WebhookReceiver.verifies(replayed, newSecret));
        assertTrue(WebhookReceiver.verifies(replayed, webhook.getString("secret")));
        assertFalse(WebhookReceiver.verifies(new Received(first.path(), first.id(), first.timestamp(), first.signature(),
                first.body().replace(keyId, UUID.randomUUID().toString()), true), webhook.getString("secret")));

        // stored sealed under the master key: a copy of the database does not sign deliveries
        var stored = database.preparedQuery("SELECT secret, previous_secret FROM webhook_endpoints WHERE id = $1")
                .execute(Tuple.of(UUID.fromString(id))).await().atMost(Duration.ofSeconds(5)).iterator().next();
        for (String column : List.of("secret", "previous_secret")) {
            assertFalse(stored.getString(column).startsWith("whsec_") || stored.getString(column).contains(
                    newSecret.substring(6)) || stored.getString(column).contains(webhook.getString("secret").substring(6)),
                    column + " is stored in the clear");
        }
        // the secret is shown once: never in a listing
        given().auth().oauth2(token).get("/v1/webhooks/" + id).then().statusCode(200).body("$", not(hasKey("secret")));
        REFERENCE_CASES.addAll(List.of(
                Map.of("secret", webhook.getString("secret"), "delivery", first, "valid", true),
                Map.of("secret", newSecret, "delivery", replayed, "valid", true),
                Map.of("secret", webhook.getString("secret"), "delivery", replayed, "valid", true),
                Map.of("secret", newSecret, "delivery", first, "valid", false),
                Map.of("secret", webhook.getString("secret"), "delivery", new Received(first.path(), first.id(),
                        first.timestamp(), first.signature(), first.body() + " ", true), "valid", false)));
    }

    @Test
    void platformWebhooksAreForAdminsAndOthersNeverSeeAUsersWebhooks() {
        String alice = UserApi.newUser().getString("access_token");
        String bob = UserApi.newUser().getString("access_token");
        given().auth().oauth2(alice).contentType(ContentType.JSON)
                .body(Map.of("url", receiver.url("/ok/p"), "eventTypes", List.of("user.registered"), "scope", "platform"))
                .post("/v1/webhooks").then().statusCode(403);
        String aliceHook = subscribe(alice, receiver.url("/ok/alice"), List.of("api_key.created")).getString("id");
        given().auth().oauth2(bob).get("/v1/webhooks/" + aliceHook).then().statusCode(404);
        given().auth().oauth2(bob).contentType(ContentType.JSON).body(Map.of("enabled", false))
                .patch("/v1/webhooks/" + aliceHook).then().statusCode(404);
        given().auth().oauth2(bob).delete("/v1/webhooks/" + aliceHook).then().statusCode(404);
        given().auth().oauth2(bob).get("/v1/webhooks/" + aliceHook + "/deliveries").then().statusCode(404);
        given().auth().oauth2(bob).get("/v1/webhooks").then().statusCode(200).body("", hasSize(0));
        // Bob's keys never reach Alice's webhook
        createKey(bob, "bobs");
        String aliceKey = createKey(alice, "alices");
        await().atMost(Duration.ofSeconds(30)).until(() -> receiver.acceptedOnce("/ok/alice").size() == 1);
        assertTrue(receiver.acceptedOnce("/ok/alice").get(0).body().contains(aliceKey));

        String admin = UserApi.adminToken();
        String platformHook = given().auth().oauth2(admin).contentType(ContentType.JSON)
                .body(Map.of("url", receiver.url("/ok/platform"), "eventTypes", List.of("user.registered"),
                        "scope", "platform"))
                .post("/v1/webhooks").then().statusCode(201).body("scope", equalTo("platform")).extract().path("id");
        try {
            String carol = UserApi.newUser().getString("access_token");
            String carolId = UserApi.userId(carol);
            await().atMost(Duration.ofSeconds(30)).until(() -> receiver.acceptedOnce("/ok/platform").stream()
                    .anyMatch(r -> carolId.equals(new JsonPath(r.body()).getString("data.userId"))));
        } finally {
            given().auth().oauth2(admin).delete("/v1/webhooks/" + platformHook).then().statusCode(204);
        }
    }

    @Test
    void jobEventsFromKafkaAreDeliveredOnceEvenWhenConsumedTwice() throws Exception {
        String token = UserApi.newUser().getString("access_token");
        UUID userId = UUID.fromString(UserApi.userId(token));
        String hook = subscribe(token, receiver.url("/ok/jobs"), List.of("job.completed", "job.cancelled"))
                .getString("id");
        UUID jobId = UUID.randomUUID();
        EventEnvelope<InferenceJobCompleted> event = EventEnvelope.of("/inference-service", new InferenceJobCompleted(
                jobId, userId, JobType.EMBED_BATCH, "all-minilm-l6-v2", "1", 3, 42, Instant.now()), null);
        EventEnvelope<InferenceJobCancelled> cancelled = EventEnvelope.of("/inference-service",
                new InferenceJobCancelled(UUID.randomUUID(), userId, JobType.INDEX_DOCUMENTS, "all-minilm-l6-v2",
                        Instant.now()), null);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
            producer.send(CloudEventsKafka.toRecord(event)).get(10, TimeUnit.SECONDS);
            producer.send(CloudEventsKafka.toRecord(event)).get(10, TimeUnit.SECONDS);
            producer.send(CloudEventsKafka.toRecord(cancelled)).get(10, TimeUnit.SECONDS);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> receiver.acceptedOnce("/ok/jobs").size() == 2);
        Received delivery = receiver.acceptedOnce("/ok/jobs").get(0);
        assertEquals(event.id(), delivery.id(), "the webhook-id is the event's id");
        JsonPath body = new JsonPath(delivery.body());
        assertEquals("1.0", body.getString("specversion"));
        assertEquals("dev.meridian.inference.job.completed.v1", body.getString("type"));
        assertEquals(jobId.toString(), body.getString("data.jobId"));
        assertEquals("dev.meridian.inference.job.cancelled.v1",
                new JsonPath(receiver.acceptedOnce("/ok/jobs").get(1).body()).getString("type"));
        // the second copy sits right behind the first in its partition: consumed by now, and it queued nothing
        given().auth().oauth2(token).get("/v1/webhooks/" + hook + "/deliveries").then().statusCode(200)
                .body("data", hasSize(2));
        assertEquals(2, receiver.received("/ok/jobs").size());
    }

    @Test
    void anEndpointFailingForDaysIsDisabledAndItsOwnerTold() throws Exception {
        String token = UserApi.newUser().getString("access_token");
        String failing = subscribe(token, receiver.url("/failing/1"), List.of("api_key.created")).getString("id");
        subscribe(token, receiver.url("/ok/told"), List.of("webhook.disabled"));
        createKey(token, "first");
        await().atMost(Duration.ofSeconds(30)).until(() -> receiver.requests("/failing/1") >= 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> given().auth().oauth2(token)
                .get("/v1/webhooks/" + failing).then().extract().path("failingSince") != null);
        // five days pass
        database.preparedQuery("UPDATE webhook_endpoints SET failing_since = now() - interval '6 days' WHERE id = $1")
                .execute(Tuple.of(UUID.fromString(failing))).await().atMost(Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(30)).until(() -> receiver.acceptedOnce("/ok/told").size() == 1);
        JsonPath told = new JsonPath(receiver.acceptedOnce("/ok/told").get(0).body());
        assertEquals(failing, told.getString("data.webhookId"));
        given().auth().oauth2(token).get("/v1/webhooks/" + failing).then().statusCode(200)
                .body("enabled", equalTo(false)).body("disabledReason", startsWith("every delivery attempt has failed"));
        int attempts = receiver.requests("/failing/1");
        // disabled: it gets nothing more
        createKey(token, "second");
        given().auth().oauth2(token).get("/v1/webhooks/" + failing + "/deliveries").then()
                .body("data", hasSize(1));
        assertEquals(attempts, receiver.requests("/failing/1"));
    }

    @Test
    void erasureTakesTheUsersWebhooksAndEveryDeliveryAboutThemAndExportShowsThem() {
        String admin = UserApi.adminToken();
        String platformHook = given().auth().oauth2(admin).contentType(ContentType.JSON)
                .body(Map.of("url", receiver.url("/ok/platform-keys"), "eventTypes", List.of("api_key.created"),
                        "scope", "platform"))
                .post("/v1/webhooks").then().statusCode(201).extract().path("id");
        try {
            String email = UserApi.uniqueEmail();
            UserApi.signUp(email, UserApi.PASSWORD, "Erin").then().statusCode(201);
            String token = UserApi.login(email, UserApi.PASSWORD).then().extract().path("access_token");
            UUID userId = UUID.fromString(UserApi.userId(token));
            String hook = subscribe(token, receiver.url("/ok/erin"), List.of("api_key.created")).getString("id");
            createKey(token, "erins");
            await().atMost(Duration.ofSeconds(30)).until(() -> receiver.acceptedOnce("/ok/erin").size() == 1);
            given().auth().oauth2(token).get("/v1/users/me/export").then().statusCode(200)
                    .body("webhooks", hasSize(1)).body("webhooks[0].id", equalTo(hook))
                    .body("webhooks[0]", not(hasKey("secret"))).body("webhookDeliveries", hasSize(1));
            // Erin's key went to her webhook and to the admin's platform-wide one
            assertEquals(2L, count("SELECT count(*) FROM webhook_deliveries WHERE subject_user_id = $1", userId));

            given().auth().oauth2(token).contentType(ContentType.JSON).body(Map.of("password", UserApi.PASSWORD))
                    .delete("/v1/users/me").then().statusCode(204);
            assertEquals(0L, count("SELECT count(*) FROM webhook_endpoints WHERE user_id = $1", userId));
            assertEquals(0L, count("SELECT count(*) FROM webhook_deliveries WHERE subject_user_id = $1", userId),
                    "deliveries about an erased user stay behind (the admin's platform webhook's too)");
        } finally {
            given().auth().oauth2(admin).delete("/v1/webhooks/" + platformHook).then().statusCode(204);
        }
    }

    private long count(String sql, UUID userId) {
        return database.preparedQuery(sql).execute(Tuple.of(userId)).await().atMost(Duration.ofSeconds(5))
                .iterator().next().getLong(0);
    }

    /**
     * The npm "standardwebhooks" library (the specification's reference implementation for Node) verifies every
     * delivery the other tests received, and refuses the tampered ones. Runs last; needs Node.js and the npm registry.
     */
    @Test
    @Order(Integer.MAX_VALUE)
    void theStandardWebhooksReferenceLibraryVerifiesTheDeliveries() throws Exception {
        assumeTrue(onPath("node") && onPath("npm"), "Node.js is not installed: the reference-library check is skipped");
        List<Map<String, Object>> cases;
        synchronized (REFERENCE_CASES) {
            cases = List.copyOf(REFERENCE_CASES);
        }
        assertTrue(cases.size() > 100, "the other tests left " + cases.size() + " deliveries to verify");
        Path dir = Path.of("target", "webhook-verifier").toAbsolutePath();
        Files.createDirectories(dir);
        if (!Files.exists(dir.resolve("node_modules/standardwebhooks"))) {
            run(dir, "npm", "install", "--no-audit", "--no-fund", "--prefix", dir.toString(), "standardwebhooks@1.1.1");
        }
        Files.copy(Path.of("src/test/node/verify-webhooks.mjs"), dir.resolve("verify-webhooks.mjs"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        StringBuilder json = new StringBuilder("[");
        for (Map<String, Object> c : cases) {
            Received r = (Received) c.get("delivery");
            json.append(json.length() > 1 ? "," : "").append(io.vertx.core.json.Json.encode(Map.of(
                    "secret", c.get("secret"), "valid", c.get("valid"), "body", r.body(),
                    "headers", Map.of("webhook-id", r.id(), "webhook-timestamp", r.timestamp(),
                            "webhook-signature", r.signature()))));
        }
        Files.writeString(dir.resolve("cases.json"), json.append("]"), StandardCharsets.UTF_8);
        String out = run(dir, "node", "verify-webhooks.mjs", "cases.json");
        long valid = cases.stream().filter(c -> (Boolean) c.get("valid")).count();
        assertTrue(out.contains("\"verified\":" + valid + ",") && out.contains("\"rejected\":" + (cases.size() - valid)),
                out);
    }

    private static boolean onPath(String command) {
        try {
            return new ProcessBuilder(command, "--version").redirectErrorStream(true).start().waitFor(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            return false;
        }
    }

    private static String run(Path dir, String... command) throws Exception {
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        assertTrue(process.waitFor(180, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), String.join(" ", command) + ": " + out);
        return out;
    }
}
