package dev.meridian.inference;

import dev.meridian.events.CloudEventsKafka;
import dev.meridian.events.EventEnvelope;
import dev.meridian.events.EventType;
import dev.meridian.events.MeridianEvent;
import dev.meridian.events.Topics;
import dev.meridian.events.user.UserErased;
import dev.meridian.events.user.UserRegistered;
import dev.meridian.events.user.UserStatus;
import dev.meridian.events.user.UserUpdated;
import io.quarkus.test.junit.QuarkusTest;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.meridian.inference.JobsTest.as;
import static dev.meridian.inference.JobsTest.awaitStatus;
import static dev.meridian.inference.JobsTest.submit;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** users.v1 as user-service publishes it, and what inference-service does with it. */
@QuarkusTest
class UserEventsTest {

    static void publishAndAwait(MeridianEvent event) throws Exception {
        EventEnvelope<MeridianEvent> envelope = new EventEnvelope<>(UUID.randomUUID().toString(), "/user-service",
                EventType.of(event), Instant.now(), event.subject(), null, event);
        RecordMetadata sent = KafkaTopics.publish(CloudEventsKafka.toRecord(envelope));
        await().atMost(JobsTest.WAIT).until(() -> KafkaTopics.committedPast("inference-service", sent));
    }

    /** An embedding made with the user's token. */
    private static void embedAs(UUID user, String text) {
        as(user).body(Map.of("input", text, "model", JobsTest.FP32)).post("/v1/embeddings").then().statusCode(200);
    }

    private static double fp32Cache(String result) {
        return InferenceApi.metric("meridian_inference_cache_requests_total", "result=\"" + result + "\"",
                "version=\"fp32\"");
    }

    static Map<String, Object> jobOf(int items) {
        return Map.of("type", "embed_batch", "inputs", Collections.nCopies(items, "quota item"));
    }

    @Test
    void theTierFromUsersV1SetsJobQuotasAndStaleUpdatesAreIgnored() throws Exception {
        UUID user = UUID.randomUUID();
        publishAndAwait(new UserRegistered(user, "Quota", List.of("user"), "free", Instant.now()));
        as(user).body(jobOf(2001)).post("/v1/jobs").then().statusCode(400)
                .body("error.param", equalTo("inputs"))
                .body("error.message", containsString("free tier allows at most 2000"));

        publishAndAwait(new UserUpdated(user, 2, "Quota", List.of("user"), "pro", UserStatus.ACTIVE, Instant.now()));
        String big = submit(user, jobOf(2001));
        as(user).delete("/v1/jobs/" + big).then().statusCode(200);

        // an older update arriving late changes nothing
        publishAndAwait(new UserUpdated(user, 1, "Quota", List.of("user"), "free", UserStatus.ACTIVE, Instant.now()));
        as(user).delete("/v1/jobs/" + submit(user, jobOf(2001))).then().statusCode(200);
    }

    @Test
    void aDisabledUserCannotStartJobs() throws Exception {
        UUID user = UUID.randomUUID();
        publishAndAwait(new UserUpdated(user, 3, "Off", List.of("user"), "free", UserStatus.DISABLED, Instant.now()));
        as(user).body(jobOf(1)).post("/v1/jobs").then().statusCode(403).body("error.code", equalTo("account_disabled"));
    }

    @Test
    void tooManyActiveJobsAre429UntilOneSettles() {
        UUID user = UUID.randomUUID();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            List<String> inputs = new ArrayList<>();
            for (int n = 0; n < 1000; n++) {
                inputs.add("busy job " + i + " item " + n + " " + UUID.randomUUID());
            }
            ids.add(submit(user, Map.of("type", "embed_batch", "model", JobsTest.FP32, "inputs", inputs)));
        }
        as(user).body(jobOf(1)).post("/v1/jobs").then().statusCode(429)
                .header("Retry-After", equalTo("5")).body("error.code", equalTo("quota_exceeded"));
        ids.forEach(id -> as(user).delete("/v1/jobs/" + id));
        submit(user, jobOf(1));
    }

    @Test
    void erasureDeletesTheUsersJobsBatchesFilesAndCollectionsAndAReplayedRegistrationDoesNotBringThemBack() throws Exception {
        UUID user = UUID.randomUUID();
        UUID admin = UUID.randomUUID();
        publishAndAwait(new UserRegistered(user, "Gone", List.of("user"), "free", Instant.now()));
        String id = submit(user, jobOf(2));
        awaitStatus(user, id, "completed");
        CollectionsTest.create(user, "diary");
        as(user).body(Map.of("documents", List.of(Map.of("id", "d1", "text", "Dear diary, today I was sad."))))
                .post("/v1/collections/diary/documents").then().statusCode(200);
        CollectionsTest.search(user, "diary", Map.of("query", "feelings")).then().body("data", hasSize(1));
        String fileId = BatchApiTest.uploaded(user, BatchApiTest.line("a", Map.of("input", "a private batch line")));
        String batchId = BatchApiTest.createBatch(user, fileId).then().statusCode(200).extract().path("id");
        String outputId = BatchApiTest.awaitBatch(user, batchId, "completed").path("output_file_id");
        as(admin, "user", "admin").get("/v1/files/" + fileId).then().statusCode(200); // an admin sees it until then
        String text = "something only this user ever wrote " + UUID.randomUUID();
        embedAs(user, text);
        double hits = fp32Cache("hit");
        embedAs(user, text);
        assertEquals(hits + 1, fp32Cache("hit"));

        publishAndAwait(new UserErased(user, Instant.now()));
        // their cached vectors went too: the same text is a miss again
        double misses = fp32Cache("miss");
        embedAs(UUID.randomUUID(), text);
        assertEquals(misses + 1, fp32Cache("miss"));
        as(admin, "user", "admin").get("/v1/collections?owner=" + user).then().statusCode(200).body("data", hasSize(0));
        as(admin, "user", "admin").get("/v1/collections/diary?owner=" + user).then().statusCode(404);
        assertEquals(0, CollectionsTest.documentsInDatabase(user));
        as(admin, "user", "admin").get("/v1/jobs/" + id).then().statusCode(404);
        for (String path : List.of("/v1/files/" + fileId, "/v1/files/" + outputId, "/v1/batches/" + batchId)) {
            as(admin, "user", "admin").get(path).then().statusCode(404);
        }
        // the erased account's still unexpired token is refused on every call
        as(user).get("/v1/jobs").then().statusCode(403).body("error.code", equalTo("account_erased"));
        as(user).body(jobOf(1)).post("/v1/jobs").then().statusCode(403).body("error.code", equalTo("account_erased"));

        publishAndAwait(new UserRegistered(user, "Gone", List.of("user"), "free", Instant.now()));
        as(user).body(jobOf(1)).post("/v1/jobs").then().statusCode(403);
    }

    @Test
    void anUnreadableUserEventGoesToTheDeadLetterTopic() throws Exception {
        String key = "broken-" + UUID.randomUUID();
        KafkaTopics.publish(new ProducerRecord<>(Topics.USERS, key, "{".getBytes(StandardCharsets.UTF_8)));
        assertEquals(1, KafkaTopics.records(Topics.USERS_DLQ, key, 1, JobsTest.WAIT).size());
    }
}
