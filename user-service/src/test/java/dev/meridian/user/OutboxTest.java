package dev.meridian.user;

import dev.meridian.events.EventEnvelope;
import dev.meridian.events.EventType;
import dev.meridian.events.MeridianEvent;
import dev.meridian.events.user.UserRegistered;
import dev.meridian.local.infra.LocalKafka;
import dev.meridian.local.testing.InjectLocalServer;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.meridian.user.UserApi.PASSWORD;
import static dev.meridian.user.UserApi.signUp;
import static dev.meridian.user.UserApi.uniqueEmail;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
class OutboxTest {

    @InjectLocalServer
    LocalKafka kafka;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String jdbcUrl;

    @Test
    void signUpPublishesUserRegisteredAsACloudEventKeyedByUser() {
        String id = signUp(uniqueEmail(), PASSWORD, "Published").then().statusCode(201).extract().path("id");
        List<EventEnvelope<MeridianEvent>> events = UsersTopic.await(bootstrap, Set.of(id), 1, Duration.ofSeconds(30));
        assertEquals(1, events.size());
        EventEnvelope<MeridianEvent> event = events.get(0);
        assertEquals(EventType.USER_REGISTERED, event.type());
        assertEquals("/user-service", event.source());
        UserRegistered data = (UserRegistered) event.data();
        assertEquals("Published", data.displayName());
        assertEquals(List.of("user"), data.roles());
    }

    /**
     * Writes succeed while Kafka is down; once it is back every event arrives exactly once, and each user's events in
     * commit order (users.v1 is keyed by user id, so order holds per user, not across users).
     */
    @Test
    void eventsCommittedDuringAKafkaOutageArriveOnceItIsBack() throws Exception {
        kafka.close();
        Set<String> ids = new LinkedHashSet<>();
        try {
            for (int i = 0; i < 3; i++) {
                String email = uniqueEmail();
                String id = signUp(email, PASSWORD, "Outage " + i).then().statusCode(201).extract().path("id");
                String token = UserApi.login(email, PASSWORD).then().statusCode(200).extract().path("access_token");
                given().auth().oauth2(token).contentType(ContentType.JSON).body(Map.of("displayName", "Renamed " + i))
                        .patch("/v1/users/me").then().statusCode(200);
                ids.add(id);
            }
            // what an operator's backlog alert watches: the oldest unsent event keeps ageing while Kafka is away
            await().atMost(Duration.ofSeconds(30)).until(() -> oldestUnsentAge() >= 1.0);
        } finally {
            kafka.start();
        }
        List<EventEnvelope<MeridianEvent>> events = UsersTopic.await(bootstrap, ids, 6, Duration.ofSeconds(90));
        for (String id : ids) {
            List<EventType> perUser = events.stream().filter(e -> e.subject().equals(id)).map(EventEnvelope::type).toList();
            assertEquals(List.of(EventType.USER_REGISTERED, EventType.USER_UPDATED), perUser,
                    "events of user " + id + " missing, duplicated or out of commit order");
        }
        assertEquals(6, events.stream().map(EventEnvelope::id).distinct().count(), "an event was duplicated");
        assertFalse(UsersTopic.await(bootstrap, ids, 7, Duration.ofSeconds(2)).size() > 6, "an event was duplicated");
        await().atMost(Duration.ofSeconds(30)).until(() -> oldestUnsentAge() == 0.0);
    }

    /**
     * Another instance holds the relay lease: this one publishes nothing until the lease runs out, then takes over and
     * publishes what waited, once.
     */
    @Test
    void whileAnotherInstanceHoldsTheRelayLeaseThisOnePublishesNothing() throws Exception {
        try (Connection db = DriverManager.getConnection(jdbcUrl, "postgres", "postgres");
             Statement statement = db.createStatement()) {
            statement.executeUpdate("UPDATE outbox_relay_lease SET holder = 'another instance',"
                    + " expires_at = now() + interval '4 seconds' WHERE id = 1");
        }
        long taken = System.nanoTime();
        String id = signUp(uniqueEmail(), PASSWORD, "Waits").then().statusCode(201).extract().path("id");
        assertEquals(0, UsersTopic.await(bootstrap, Set.of(id), 1, Duration.ofSeconds(2)).size(),
                "published while another instance held the lease");
        List<EventEnvelope<MeridianEvent>> events = UsersTopic.await(bootstrap, Set.of(id), 1, Duration.ofSeconds(30));
        assertEquals(1, events.size());
        assertTrue(System.nanoTime() - taken >= Duration.ofSeconds(4).toNanos(), "published before the lease ran out");
        assertFalse(UsersTopic.await(bootstrap, Set.of(id), 2, Duration.ofSeconds(1)).size() > 1, "published twice");
    }

    /** meridian_outbox_oldest_age_seconds as /q/metrics reports it. */
    private static double oldestUnsentAge() {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines().filter(line -> line.startsWith("meridian_outbox_oldest_age_seconds "))
                .mapToDouble(line -> Double.parseDouble(line.split(" ")[1])).findFirst()
                .orElseThrow(() -> new AssertionError("no outbox age metric in " + metrics));
    }
}
