package dev.meridian.user.webhook.messaging;

import dev.meridian.events.CloudEventsKafka;
import dev.meridian.events.EventEnvelope;
import dev.meridian.events.MeridianEvent;
import dev.meridian.user.webhook.config.WebhookConfig;
import dev.meridian.user.webhook.service.WebhookEventService;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import java.time.Duration;

/**
 * Consumes users.v1 and inference.results.v1 (group {@code user-service-webhooks}) and queues a delivery per
 * subscribed endpoint. An offset is committed only after its deliveries are stored, so a restart of this service or
 * of Kafka loses nothing (an event consumed twice is queued once: deliveries are unique per event id and endpoint).
 * When PostgreSQL fails, the event is tried again with backoff, never skipped; an unreadable message goes to the
 * topic's dead-letter twin.
 */
@ApplicationScoped
public class WebhookEventsConsumer {

    public static final String USERS_CHANNEL = "webhook-users-in";
    public static final String RESULTS_CHANNEL = "webhook-results-in";
    private static final Logger LOG = Logger.getLogger(WebhookEventsConsumer.class);

    private final WebhookEventService events;
    private final WebhookConfig config;

    public WebhookEventsConsumer(WebhookEventService events, WebhookConfig config) {
        this.events = events;
        this.config = config;
    }

    @Incoming(USERS_CHANNEL)
    public Uni<Void> userEvent(Message<byte[]> message) {
        return consume(message);
    }

    @Incoming(RESULTS_CHANNEL)
    public Uni<Void> jobResult(Message<byte[]> message) {
        return consume(message);
    }

    private Uni<Void> consume(Message<byte[]> message) {
        EventEnvelope<MeridianEvent> event;
        try {
            IncomingKafkaRecordMetadata<?, ?> kafka = message.getMetadata(IncomingKafkaRecordMetadata.class)
                    .orElseThrow(() -> new IllegalArgumentException("not a Kafka record"));
            event = CloudEventsKafka.decode(kafka.getHeaders(), message.getPayload());
        } catch (RuntimeException e) {
            LOG.warnf("unreadable event sent to the dead-letter topic: %s", e.getMessage());
            return Uni.createFrom().completionStage(message.nack(e));
        }
        return events.fromBus(event)
                .ifNoItem().after(config.consumeTimeout()).fail()
                .onFailure().invoke(e -> LOG.warnf("webhook deliveries of event %s (%s) not stored, trying again: %s",
                        event.id(), event.type().ceType(), e.toString()))
                .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(30)).withJitter(0.2)
                .indefinitely()
                .flatMap(ignored -> Uni.createFrom().completionStage(message.ack()));
    }
}
