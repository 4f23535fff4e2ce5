package dev.meridian.inference.service;

import dev.meridian.events.EventSerde;
import dev.meridian.events.EventType;
import dev.meridian.events.MeridianEvent;
import dev.meridian.inference.OutboxEvent;
import dev.meridian.inference.repository.OutboxRepository;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.util.UUID;

/** Writes events to the outbox; callers do it inside the transaction of the change the event describes. */
@ApplicationScoped
public class OutboxService {

    public static final String SOURCE = "/inference-service";

    private final OutboxRepository outbox;

    public OutboxService(OutboxRepository outbox) {
        this.outbox = outbox;
    }

    public Uni<OutboxEvent> append(MeridianEvent event) {
        OutboxEvent row = new OutboxEvent();
        row.eventId = UUID.randomUUID();
        row.eventType = EventType.of(event).ceType();
        row.aggregateId = event.subject();
        row.source = SOURCE;
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
