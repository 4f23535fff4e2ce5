package dev.meridian.inference.messaging;

import dev.meridian.events.CloudEventsKafka;
import dev.meridian.events.EventEnvelope;
import dev.meridian.events.MeridianEvent;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import org.eclipse.microprofile.reactive.messaging.Message;

/** Reads the event-bus envelope (CloudEvents headers + JSON body) of a consumed Kafka message. */
public final class IncomingEvents {

    private IncomingEvents() {
    }

    /** @throws RuntimeException when the message is not a readable event: the consumer's cue for the DLQ */
    public static EventEnvelope<MeridianEvent> decode(Message<byte[]> message) {
        IncomingKafkaRecordMetadata<?, ?> kafka = message.getMetadata(IncomingKafkaRecordMetadata.class)
                .orElseThrow(() -> new IllegalArgumentException("not a Kafka record"));
        return CloudEventsKafka.decode(kafka.getHeaders(), message.getPayload());
    }
}
