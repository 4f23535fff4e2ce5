package dev.meridian.inference;

import dev.meridian.events.CloudEventsKafka;
import dev.meridian.events.EventEnvelope;
import dev.meridian.events.EventType;
import dev.meridian.events.MeridianEvent;
import dev.meridian.events.Topics;
import dev.meridian.events.inference.InferenceJobCancelled;
import dev.meridian.events.inference.InferenceJobCompleted;
import dev.meridian.events.inference.InferenceJobFailed;
import dev.meridian.events.inference.InferenceJobRequested;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.smallrye.jwt.build.Jwt;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

import static dev.meridian.inference.InferenceApi.MODEL;
import static dev.meridian.inference.InferenceApi.vectors;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
class JobsTest {

    static final String FP32 = MODEL + ":fp32";
    static final Duration WAIT = Duration.ofSeconds(60);

    /** An access token as user-service issues them, signed by the test key the service trusts. */
    static String token(UUID user, String... roles) {
        return tokenOfTier(user, "free", roles);
    }

    static String tokenOfTier(UUID user, String tier, String... roles) {
        return Jwt.issuer("https://meridian.dev/user-service").subject(user.toString()).audience("meridian")
                .groups(Set.of(roles.length == 0 ? new String[]{"user"} : roles)).claim("tier", tier)
                .jws().keyId("test-key").sign();
    }

    static RequestSpecification as(UUID user, String... roles) {
        return given().header("Authorization", "Bearer " + token(user, roles)).contentType(ContentType.JSON);
    }

    static String submit(UUID user, Map<String, Object> body) {
        return as(user).body(body).post("/v1/jobs").then().statusCode(202)
                .header("Location", containsString("/v1/jobs/"))
                .body("status", equalTo("pending"))
                .extract().path("id");
    }

    static Response awaitStatus(UUID user, String id, String status) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100))
                .until(() -> status.equals(as(user).get("/v1/jobs/" + id).path("status")));
        return as(user).get("/v1/jobs/" + id);
    }

    @Test
    void aJobRunsInTheBackgroundAndItsResultMatchesTheSynchronousApi() {
        UUID user = UUID.randomUUID();
        List<String> inputs = List.of("first job input " + UUID.randomUUID(), "second job input", "third");
        String id = submit(user, Map.of("type", "embed_batch", "model", FP32, "inputs", inputs));

        awaitStatus(user, id, "completed").then()
                .body("progress.done", equalTo(3)).body("progress.total", equalTo(3))
                .body("attempts", equalTo(1)).body("model", equalTo(FP32));
        List<float[]> result = vectors(as(user).get("/v1/jobs/" + id + "/result"));
        List<float[]> direct = vectors(InferenceApi.embed(Map.of("model", FP32, "input", inputs)));
        for (int i = 0; i < inputs.size(); i++) {
            assertArrayEquals(direct.get(i), result.get(i), 1e-5f);
        }

        EventEnvelope<MeridianEvent> requested = KafkaTopics.events(Topics.INFERENCE_JOBS, id, 1, WAIT).get(0);
        assertEquals(EventType.INFERENCE_JOB_REQUESTED, requested.type());
        assertEquals(user, ((InferenceJobRequested) requested.data()).userId());
        List<EventEnvelope<MeridianEvent>> outcome = KafkaTopics.events(Topics.INFERENCE_RESULTS, id, 1, WAIT);
        InferenceJobCompleted completed = assertInstanceOf(InferenceJobCompleted.class, outcome.get(0).data());
        assertEquals(3, completed.itemCount());
        assertEquals("fp32", completed.modelVersion());
    }

    @Test
    void progressAndTheFinalStateStreamAsServerSentEvents() throws Exception {
        UUID user = UUID.randomUUID();
        List<String> inputs = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            inputs.add("streamed progress " + i + " " + UUID.randomUUID());
        }
        String id = submit(user, Map.of("type", "embed_batch", "model", FP32, "inputs", inputs));
        HttpResponse<Stream<String>> stream = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        url.toURI().resolve("/v1/jobs/" + id + "/events"))
                .header("Authorization", "Bearer " + token(user)).header("Accept", "text/event-stream").build(),
                HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, stream.statusCode());
        List<String> events = stream.body().filter(line -> line.startsWith("event:")).toList(); // ends with the job

        assertEquals("event:completed", events.get(events.size() - 1));
        assertTrue(events.subList(0, events.size() - 1).stream().allMatch("event:progress"::equals), events.toString());
        assertTrue(events.size() >= 3, "progress arrived on the way, not only at the end: " + events);

        // someone else's job: the stream ends at once with the error a 404 would carry, nothing about the job
        String foreign = given().header("Authorization", "Bearer " + token(UUID.randomUUID()))
                .accept("text/event-stream").get("/v1/jobs/" + id + "/events").then().statusCode(200)
                .extract().asString();
        assertTrue(foreign.contains("event:error") && foreign.contains("job_not_found"), foreign);
        assertFalse(foreign.contains("progress"), foreign);
    }

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL url;

    @Test
    void jobsAreVisibleToTheirOwnerAndAdminsOnly() {
        UUID owner = UUID.randomUUID();
        UUID stranger = UUID.randomUUID();
        String id = submit(owner, Map.of("type", "embed_batch", "inputs", List.of("private text")));

        as(stranger).get("/v1/jobs/" + id).then().statusCode(404).body("error.code", equalTo("job_not_found"));
        as(stranger).get("/v1/jobs/" + id + "/result").then().statusCode(404);
        as(stranger).delete("/v1/jobs/" + id).then().statusCode(404);
        as(stranger).get("/v1/jobs").then().statusCode(200).body("data", hasSize(0));
        as(UUID.randomUUID(), "user", "admin").get("/v1/jobs/" + id).then().statusCode(200).body("id", equalTo(id));
        as(owner).get("/v1/jobs/" + UUID.randomUUID()).then().statusCode(404);
    }

    @Test
    void withoutAValidTokenJobsAnswer401() throws Exception {
        given().get("/v1/jobs").then().statusCode(401).header("WWW-Authenticate", startsWith("Bearer"))
                .body("error.code", equalTo("invalid_api_key"));
        var foreignKey = KeyPairGenerator.getInstance("RSA").generateKeyPair().getPrivate();
        String forged = Jwt.issuer("https://meridian.dev/user-service").subject(UUID.randomUUID().toString())
                .audience("meridian").jws().keyId("test-key").sign(foreignKey);
        given().header("Authorization", "Bearer " + forged).get("/v1/jobs").then().statusCode(401);
        String wrongAudience = Jwt.issuer("https://meridian.dev/user-service").subject(UUID.randomUUID().toString())
                .audience("someone-else").jws().keyId("test-key").sign();
        given().header("Authorization", "Bearer " + wrongAudience).get("/v1/jobs").then().statusCode(401);
    }

    @Test
    void listingIsNewestFirstWithAKeysetCursor() {
        UUID user = UUID.randomUUID();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(submit(user, Map.of("type", "embed_batch", "inputs", List.of("page item " + i))));
        }
        Response first = as(user).get("/v1/jobs?limit=2");
        first.then().statusCode(200).body("data.id", equalTo(List.of(ids.get(2), ids.get(1))))
                .body("has_more", equalTo(true));
        String cursor = first.path("next_cursor");
        as(user).get("/v1/jobs?limit=2&after=" + cursor).then().statusCode(200)
                .body("data.id", equalTo(List.of(ids.get(0)))).body("has_more", equalTo(false));
        as(user).get("/v1/jobs?after=not-a-cursor").then().statusCode(400).body("error.param", equalTo("after"));
    }

    @Test
    void aCancelledJobStopsAndStaysCancelled() {
        UUID user = UUID.randomUUID();
        List<String> inputs = new ArrayList<>();
        for (int i = 0; i < 1500; i++) {
            inputs.add("cancel me, sentence " + i + " " + UUID.randomUUID() + " with enough words to take a while");
        }
        String id = submit(user, Map.of("type", "embed_batch", "model", FP32, "inputs", inputs));
        as(user).delete("/v1/jobs/" + id).then().statusCode(200).body("status", equalTo("cancelled"));

        as(user).delete("/v1/jobs/" + id).then().statusCode(409).body("error.code", equalTo("job_settled"));
        as(user).get("/v1/jobs/" + id + "/result").then().statusCode(409).body("error.code", equalTo("job_not_completed"));
        // The worker settles the message without completing the job: the one outcome event is the cancellation.
        await().atMost(WAIT).until(() -> committed(id));
        as(user).get("/v1/jobs/" + id).then().body("status", equalTo("cancelled"));
        List<EventEnvelope<MeridianEvent>> outcome = KafkaTopics.events(Topics.INFERENCE_RESULTS, id, 2,
                Duration.ofSeconds(5));
        assertEquals(1, outcome.size(), "one outcome event, the cancellation: " + outcome);
        InferenceJobCancelled cancelled = assertInstanceOf(InferenceJobCancelled.class, outcome.get(0).data());
        assertEquals(user, cancelled.userId());
    }

    @Test
    void aJobWithAnInputTooLongFailsWithTheReasonAndAnEvent() {
        UUID user = UUID.randomUUID();
        String id = submit(user, Map.of("type", "embed_batch", "inputs", List.of("fine", "word ".repeat(400))));
        awaitStatus(user, id, "failed").then()
                .body("error.code", equalTo("context_length_exceeded"))
                .body("error.message", startsWith("inputs[1] has"));
        InferenceJobFailed failed = assertInstanceOf(InferenceJobFailed.class,
                KafkaTopics.events(Topics.INFERENCE_RESULTS, id, 1, WAIT).get(0).data());
        assertEquals("context_length_exceeded", failed.errorCode());

        String truncated = submit(user, Map.of("type", "embed_batch", "truncate", true,
                "inputs", List.of("fine", "word ".repeat(400))));
        awaitStatus(user, truncated, "completed");
    }

    @Test
    void badJobRequestsNameTheField() {
        UUID user = UUID.randomUUID();
        as(user).body(Map.of("inputs", List.of("x"))).post("/v1/jobs").then().statusCode(400)
                .body("error.param", equalTo("type"));
        as(user).body(Map.of("type", "summarize", "inputs", List.of("x"))).post("/v1/jobs").then().statusCode(400)
                .body("error.param", equalTo("type"));
        as(user).body(Map.of("type", "embed_batch", "inputs", List.of())).post("/v1/jobs").then().statusCode(400)
                .body("error.param", equalTo("inputs"));
        as(user).body(Map.of("type", "embed_batch", "inputs", List.of("a", ""))).post("/v1/jobs").then()
                .statusCode(400).body("error.param", equalTo("inputs[1]"));
        as(user).body(Map.of("type", "embed_batch", "inputs", List.of("a"), "model", "nope")).post("/v1/jobs").then()
                .statusCode(404);
        as(user).body(Map.of("type", "index_documents", "inputs", List.of("a"))).post("/v1/jobs").then()
                .statusCode(400).body("error.param", equalTo("inputs"))
                .body("error.message", containsString("'documents'"));
    }

    @Test
    void aReplayedRequestDoesNotRunTheJobAgain() throws Exception {
        UUID user = UUID.randomUUID();
        String id = submit(user, Map.of("type", "embed_batch", "inputs", List.of("run me once " + UUID.randomUUID())));
        awaitStatus(user, id, "completed");
        ConsumerRecord<String, byte[]> original = KafkaTopics.records(Topics.INFERENCE_JOBS, id, 1, WAIT).get(0);

        RecordMetadata replay = KafkaTopics.publish(new ProducerRecord<>(Topics.INFERENCE_JOBS, null, id,
                original.value(), original.headers()));
        await().atMost(WAIT).until(() -> KafkaTopics.committedPast("inference-workers", replay));

        as(user).get("/v1/jobs/" + id).then().body("status", equalTo("completed")).body("attempts", equalTo(1));
        assertEquals(1, KafkaTopics.records(Topics.INFERENCE_RESULTS, id, 2, Duration.ofSeconds(3)).size(),
                "one outcome event only");
    }

    @Test
    void poisonMessagesGoToTheDeadLetterTopicWithTheReason() throws Exception {
        String garbageKey = "garbage-" + UUID.randomUUID();
        KafkaTopics.publish(new ProducerRecord<>(Topics.INFERENCE_JOBS, garbageKey,
                "not an event".getBytes(StandardCharsets.UTF_8)));
        String unknownJob = UUID.randomUUID().toString();
        EventEnvelope<MeridianEvent> envelope = new EventEnvelope<>(UUID.randomUUID().toString(), "/test",
                EventType.INFERENCE_JOB_REQUESTED, java.time.Instant.now(), unknownJob, null,
                new InferenceJobRequested(UUID.fromString(unknownJob), UUID.randomUUID(),
                        dev.meridian.events.inference.JobType.EMBED_BATCH, MODEL, 1, null, java.time.Instant.now()));
        KafkaTopics.publish(CloudEventsKafka.toRecord(envelope));

        for (String key : List.of(garbageKey, unknownJob)) {
            List<ConsumerRecord<String, byte[]>> dead = KafkaTopics.records(Topics.INFERENCE_JOBS_DLQ, key, 1, WAIT);
            assertEquals(1, dead.size(), key);
            assertNotNull(dead.get(0).headers().lastHeader("dead-letter-reason"), key);
        }
        // and the worker keeps working
        UUID user = UUID.randomUUID();
        awaitStatus(user, submit(user, Map.of("type", "embed_batch", "inputs", List.of("after poison"))), "completed");
    }

    /** True once the worker group committed past the job's request record. */
    private static boolean committed(String id) throws Exception {
        ConsumerRecord<String, byte[]> record = KafkaTopics.records(Topics.INFERENCE_JOBS, id, 1, WAIT).get(0);
        return KafkaTopics.committedPast("inference-workers", new RecordMetadata(
                new org.apache.kafka.common.TopicPartition(record.topic(), record.partition()), record.offset(), 0,
                0, 0, 0));
    }
}
