package dev.meridian.outbox;

import dev.meridian.events.EventSerde;
import dev.meridian.events.EventType;
import dev.meridian.events.MeridianEvent;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Instant;
import java.util.UUID;

/** Writes events to the outbox; callers do it inside the transaction of the change the event describes. */
@ApplicationScoped
public class OutboxService {

    private final OutboxRepository outbox;
    /** The CloudEvents source: the publishing service, e.g. {@code /user-service}. */
    private final String source;

    public OutboxService(OutboxRepository outbox, @ConfigProperty(name = "quarkus.application.name") String service) {
        this.outbox = outbox;
        this.source = "/" + service;
    }

    public Uni<OutboxEvent> append(MeridianEvent event) {
        OutboxEvent row = new OutboxEvent();
        row.eventId = UUID.randomUUID();
        row.eventType = EventType.of(event).ceType();
        row.aggregateId = event.subject();
        row.source = source;
        row.payload = EventSerde.serialize(event);
        row.traceparent = traceparent();
        row.createdAt = Instant.now();
        return outbox.persist(row);
    }

    /** W3C traceparent of the current span, so the consumer's span joins the producer's trace. */
    private static String traceparent() {
        SpanContext span = Span.current().getSpanContext();
        if (!span.isValid()) {
            return null;
        }
        return "00-" + span.getTraceId() + "-" + span.getSpanId() + "-" + span.getTraceFlags().asHex();
    }
}
