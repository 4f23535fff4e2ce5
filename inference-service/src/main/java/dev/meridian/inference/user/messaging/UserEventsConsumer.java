package dev.meridian.inference.user.messaging;

import dev.meridian.events.EventEnvelope;
import dev.meridian.events.MeridianEvent;
import dev.meridian.inference.messaging.IncomingEvents;
import dev.meridian.inference.user.service.UserEventService;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import java.time.Duration;

/**
 * Consumes users.v1 (group {@code inference-service}): registrations and updates set tier and status, erasure deletes
 * the user's data. Unreadable messages go to users.v1.dlq with the reason; a database hiccup is retried.
 */
@ApplicationScoped
public class UserEventsConsumer {

    public static final String CHANNEL = "users-in";
    private static final Logger LOG = Logger.getLogger(UserEventsConsumer.class);

    private final UserEventService users;

    public UserEventsConsumer(UserEventService users) {
        this.users = users;
    }

    @Incoming(CHANNEL)
    public Uni<Void> consume(Message<byte[]> message) {
        EventEnvelope<MeridianEvent> event;
        try {
            event = IncomingEvents.decode(message);
        } catch (RuntimeException e) {
            LOG.warnf("unreadable users.v1 message sent to the dead-letter topic: %s", e.getMessage());
            return Uni.createFrom().completionStage(message.nack(e));
        }
        return users.apply(event)
                .onFailure().retry().withBackOff(Duration.ofMillis(500), Duration.ofSeconds(5)).atMost(3)
                .flatMap(ignored -> Uni.createFrom().completionStage(message.ack()))
                .onFailure().recoverWithUni(e -> {
                    LOG.warnf("users.v1 event %s sent to the dead-letter topic: %s", event.id(), e.getMessage());
                    return Uni.createFrom().completionStage(message.nack(e));
                });
    }
}
