package dev.meridian.inference;

import dev.meridian.events.CloudEventsKafka;
import dev.meridian.events.EventEnvelope;
import dev.meridian.events.EventType;
import dev.meridian.events.MeridianEvent;
import dev.meridian.events.Topics;
import dev.meridian.events.user.UserErased;
import dev.meridian.events.user.UserRegistered;
import dev.meridian.inference.embedding.service.EmbeddingCache;
import dev.meridian.local.infra.LocalPostgres;
import dev.meridian.local.testing.InjectLocalServer;
import io.quarkus.redis.client.RedisClientName;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Headers;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static dev.meridian.inference.JobsTest.as;
import static dev.meridian.inference.JobsTest.awaitStatus;
import static dev.meridian.inference.JobsTest.submit;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.empty;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** No erasure is lost: not to a database outage while it is applied, nor to the dead-letter topic. */
@QuarkusTest
class ErasureRecoveryTest {

    static final String DATABASE = "meridian_inference";
    static final String REPLAY = "/v1/admin/dead-letters/users.v1/replay";

    @InjectLocalServer
    LocalPostgres postgres;

    @Inject
    @RedisClientName(EmbeddingCache.REDIS_CLIENT)
    RedisDataSource cacheRedis;

    /** A user with a completed job, a collection with a document and cached vectors; returns the job id. */
    private String userWithData(UUID user, String text) throws Exception {
        UserEventsTest.publishAndAwait(new UserRegistered(user, "Soon gone", List.of("user"), "free", Instant.now()));
        String job = submit(user, UserEventsTest.jobOf(2));
        awaitStatus(user, job, "completed");
        CollectionsTest.create(user, "notes");
        as(user).body(Map.of("documents", List.of(Map.of("id", "n1", "text", "a private note"))))
                .post("/v1/collections/notes/documents").then().statusCode(200);
        as(user).body(Map.of("input", text, "model", JobsTest.FP32)).post("/v1/embeddings").then().statusCode(200);
        assertFalse(cacheRedis.set(String.class).smembers(ownerKey(user)).isEmpty(), "cached vectors recorded");
        assertEquals(1, CollectionsTest.documentsInDatabase(user));
        return job;
    }

    private void assertEveryTraceGone(UUID user, String job, Set<String> cachedEntries) throws Exception {
        UUID admin = UUID.randomUUID();
        as(admin, "user", "admin").get("/v1/jobs/" + job).then().statusCode(404);
        as(admin, "user", "admin").get("/v1/collections?owner=" + user).then().statusCode(200).body("data", hasSize(0));
        assertEquals(0, CollectionsTest.documentsInDatabase(user));
        try (Connection db = CollectionsTest.database();
             var jobs = db.prepareStatement("SELECT count(*) FROM jobs WHERE user_id = ?")) {
            jobs.setObject(1, user);
            try (var rows = jobs.executeQuery()) {
                rows.next();
                assertEquals(0, rows.getLong(1), "job rows left");
            }
        }
        assertFalse(cacheRedis.key().exists(ownerKey(user)), "the user's cache record is left");
        assertEquals(0, cacheRedis.key().exists(cachedEntries.toArray(String[]::new)), "cached vectors are left");
        as(user).get("/v1/jobs").then().statusCode(403).body("error.code", equalTo("account_erased"));
    }

    private static String ownerKey(UUID user) {
        return "meridian:emb-owner:v1:" + user;
    }

    /**
     * The database goes away as an outage does for the service: its connections are cut and new ones refused.
     * (Stopping the test resource's server is not an option here: it is a throwaway instance that starts from an
     * empty data directory, so a restart would lose the very data the erasure has to delete.)
     */
    private void database(boolean up) throws Exception {
        try (Connection admin = DriverManager.getConnection(postgres.jdbcUrl("postgres"), LocalPostgres.USER,
                LocalPostgres.USER); Statement sql = admin.createStatement()) {
            sql.execute("ALTER DATABASE " + DATABASE + " WITH ALLOW_CONNECTIONS " + up);
            if (!up) {
                sql.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + DATABASE + "'");
            }
        }
    }

    @Test
    void anErasureArrivingWhileTheDatabaseIsDownIsAppliedOnceItIsBack() throws Exception {
        UUID user = UUID.randomUUID();
        String text = "only this user wrote it " + UUID.randomUUID();
        String job = userWithData(user, text);
        Set<String> cached = cacheRedis.set(String.class).smembers(ownerKey(user));

        RecordMetadata sent;
        database(false);
        try {
            sent = KafkaTopics.publish(CloudEventsKafka.toRecord(envelope(new UserErased(user, Instant.now()))));
            // checked throughout 8 s, longer than the three attempts (about 3.5 s) after which the event used to be
            // dead-lettered: the consumer must not move past it at any moment while the database is away
            await("the erasure is not skipped").during(Duration.ofSeconds(8)).atMost(Duration.ofSeconds(12))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> !KafkaTopics.committedPast("inference-service", sent));
        } finally {
            database(true);
        }
        await().atMost(Duration.ofSeconds(90)).until(() -> KafkaTopics.committedPast("inference-service", sent));

        assertEveryTraceGone(user, job, cached);
        assertTrue(KafkaTopics.records(Topics.USERS_DLQ, user.toString(), 1, Duration.ofSeconds(2)).isEmpty(),
                "the erasure went to the dead-letter topic");
    }

    @Test
    void aDeadLetteredErasureIsAppliedByTheAdminReplay() throws Exception {
        UUID user = UUID.randomUUID();
        UUID admin = UUID.randomUUID();
        String job = userWithData(user, "dead-lettered " + UUID.randomUUID());
        Set<String> cached = cacheRedis.set(String.class).smembers(ownerKey(user));

        // as the connector dead-letters a record: the original key, value and headers, plus the reason
        ProducerRecord<String, byte[]> original = CloudEventsKafka.toRecord(envelope(new UserErased(user, Instant.now())));
        Headers headers = original.headers();
        headers.add("dead-letter-reason", "database unreachable".getBytes(StandardCharsets.UTF_8));
        KafkaTopics.publish(new ProducerRecord<>(Topics.USERS_DLQ, null, original.key(), original.value(), headers));
        KafkaTopics.publish(new ProducerRecord<>(Topics.USERS_DLQ, "poison-" + UUID.randomUUID(),
                "{".getBytes(StandardCharsets.UTF_8)));

        given().post(REPLAY).then().statusCode(401);
        as(user).post(REPLAY).then().statusCode(403);
        as(admin, "user", "admin").post(REPLAY).then().statusCode(200)
                .body("topic", equalTo(Topics.USERS_DLQ))
                .body("replayed", greaterThanOrEqualTo(1))
                .body("unreadable", not(empty()))
                .body("complete", equalTo(true));

        assertEveryTraceGone(user, job, cached);
        // what was replayed is not replayed again
        as(admin, "user", "admin").post(REPLAY).then().statusCode(200).body("replayed", equalTo(0))
                .body("unreadable", hasSize(0));
    }

    private static EventEnvelope<MeridianEvent> envelope(MeridianEvent event) {
        return new EventEnvelope<>(UUID.randomUUID().toString(), "/user-service", EventType.of(event), Instant.now(),
                event.subject(), null, event);
    }
}
