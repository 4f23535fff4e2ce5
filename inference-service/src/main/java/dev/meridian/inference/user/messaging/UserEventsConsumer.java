package dev.meridian.inference.user.messaging;

import dev.meridian.events.CloudEventsKafka;
import dev.meridian.events.EventEnvelope;
import dev.meridian.events.MeridianEvent;
import dev.meridian.inference.messaging.IncomingEvents;
import dev.meridian.inference.user.config.UserEventsConfig;
import dev.meridian.inference.user.service.UserEventService;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.common.header.Headers;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import java.util.UUID;

/**
 * Consumes users.v1 (group {@code inference-service}): registrations and updates set tier and status, erasure deletes
 * the user's data. A message that cannot be read as an event is poison: it goes to users.v1.dlq with the reason (and
 * can be replayed from there, {@link UsersDeadLetterReplay}). A readable event whose effect fails (database down or
 * hanging) is applied again with backoff until it succeeds, never skipped: the messages after it (the same user's
 * later events among them, users.v1 is keyed by user) wait, so order per user holds and no erasure is lost.
 */
@ApplicationScoped
public class UserEventsConsumer {

    public static final String CHANNEL = "users-in";
    private static final Logger LOG = Logger.getLogger(UserEventsConsumer.class);

    private final UserEventService users;
    private final UserEventsConfig config;
    private final Counter retries;

    public UserEventsConsumer(UserEventService users, UserEventsConfig config, MeterRegistry meters) {
        this.users = users;
        this.config = config;
        this.retries = Counter.builder("meridian.inference.user_events.retries")
                .description("users.v1 events applied again after a failed attempt").register(meters);
    }

    @Incoming(CHANNEL)
    public Uni<Void> consume(Message<byte[]> message) {
        EventEnvelope<MeridianEvent> event;
        try {
            event = readable(IncomingEvents.decode(message));
        } catch (RuntimeException e) {
            LOG.warnf("unreadable users.v1 message sent to the dead-letter topic: %s", e.getMessage());
            return Uni.createFrom().completionStage(message.nack(e));
        }
        return users.apply(event)
                .ifNoItem().after(config.attemptTimeout()).fail()
                .onFailure().invoke(e -> {
                    retries.increment();
                    LOG.warnf("users.v1 event %s (%s) not applied, trying again: %s", event.id(), event.type(),
                            e.toString());
                })
                .onFailure().retry().withBackOff(config.retryInitialBackoff(), config.retryMaxBackoff())
                .withJitter(0.2).indefinitely()
                .flatMap(ignored -> Uni.createFrom().completionStage(message.ack()));
    }

    /** Decodes a users.v1 record as the consumer does; a RuntimeException means poison. */
    public static EventEnvelope<MeridianEvent> decode(Headers headers, byte[] value) {
        return readable(CloudEventsKafka.decode(headers, value));
    }

    /** Events are deduplicated by id, so an id that is not a UUID can never be applied: poison, not transient. */
    private static EventEnvelope<MeridianEvent> readable(EventEnvelope<MeridianEvent> event) {
        UUID.fromString(event.id());
        return event;
    }
}
