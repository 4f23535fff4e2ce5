package dev.meridian.events;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.UUID;

/**
 * A v1 event with its CloudEvents 1.0 context attributes. {@code id} is what consumers deduplicate on;
 * {@code traceparent} (W3C) links the consumer's span to the producer's trace and may be null.
 */
public record EventEnvelope<T extends MeridianEvent>(String id, String source, EventType type, Instant time,
                                                     String subject, String traceparent, T data) {

    public EventEnvelope {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(data, "data");
        if (!type.payloadClass().isInstance(data)) {
            throw new IllegalArgumentException(type.ceType() + " cannot carry " + data.getClass().getSimpleName());
        }
    }

    /** A new event from {@code source} (e.g. {@code /user-service}), with a fresh id and the current time. */
    public static <T extends MeridianEvent> EventEnvelope<T> of(String source, T data, String traceparent) {
        return new EventEnvelope<>(UUID.randomUUID().toString(), source, EventType.of(data),
                Instant.now().truncatedTo(ChronoUnit.MICROS), data.subject(), traceparent, data);
    }

    public String topic() {
        return type.topic();
    }
}
