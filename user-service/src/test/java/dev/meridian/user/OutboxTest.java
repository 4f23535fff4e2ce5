package dev.meridian.user;

import dev.meridian.events.EventEnvelope;
import dev.meridian.events.EventType;
import dev.meridian.events.MeridianEvent;
import dev.meridian.events.user.UserRegistered;
import dev.meridian.local.infra.LocalKafka;
import dev.meridian.local.testing.InjectLocalServer;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static dev.meridian.user.UserApi.PASSWORD;
import static dev.meridian.user.UserApi.signUp;
import static dev.meridian.user.UserApi.uniqueEmail;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

@QuarkusTest
class OutboxTest {

    @InjectLocalServer
    LocalKafka kafka;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

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

    /** Writes succeed while Kafka is down; once it is back every event arrives, in commit order, exactly once. */
    @Test
    void eventsCommittedDuringAKafkaOutageArriveOnceItIsBack() throws Exception {
        kafka.close();
        Set<String> ids = new LinkedHashSet<>();
        try {
            for (int i = 0; i < 3; i++) {
                ids.add(signUp(uniqueEmail(), PASSWORD, "Outage " + i).then().statusCode(201).extract().path("id"));
            }
        } finally {
            kafka.start();
        }
        List<EventEnvelope<MeridianEvent>> events = UsersTopic.await(bootstrap, ids, 3, Duration.ofSeconds(90));
        List<String> subjects = new ArrayList<>();
        events.forEach(e -> subjects.add(e.subject()));
        assertEquals(new ArrayList<>(ids), subjects, "events missing, duplicated or out of commit order");
        events.forEach(e -> assertEquals(EventType.USER_REGISTERED, e.type()));
        assertFalse(UsersTopic.await(bootstrap, ids, 4, Duration.ofSeconds(2)).size() > 3, "an event was duplicated");
    }
}
