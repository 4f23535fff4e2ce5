package dev.meridian.events;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * CloudEvents 1.0 Kafka protocol binding, binary content mode: context attributes travel as {@code ce_*} headers,
 * the payload is the record value as JSON, the key is the event's subject (aggregate id).
 */
public final class CloudEventsKafka {

    public static final String SPEC_VERSION = "1.0";
    public static final String CONTENT_TYPE = "application/json";

    public static final String CE_ID = "ce_id";
    public static final String CE_SOURCE = "ce_source";
    public static final String CE_SPECVERSION = "ce_specversion";
    public static final String CE_TYPE = "ce_type";
    public static final String CE_TIME = "ce_time";
    public static final String CE_SUBJECT = "ce_subject";
    public static final String HEADER_CONTENT_TYPE = "content-type";
    public static final String TRACEPARENT = "traceparent";

    private CloudEventsKafka() {
    }

    public static Headers headers(EventEnvelope<?> event) {
        Headers headers = new RecordHeaders();
        put(headers, CE_SPECVERSION, SPEC_VERSION);
        put(headers, CE_ID, event.id());
        put(headers, CE_SOURCE, event.source());
        put(headers, CE_TYPE, event.type().ceType());
        put(headers, CE_TIME, event.time().toString());
        put(headers, CE_SUBJECT, event.subject());
        put(headers, HEADER_CONTENT_TYPE, CONTENT_TYPE);
        if (event.traceparent() != null) {
            put(headers, TRACEPARENT, event.traceparent());
        }
        return headers;
    }

    public static ProducerRecord<String, byte[]> toRecord(EventEnvelope<?> event) {
        return new ProducerRecord<>(event.topic(), null, event.subject(), EventSerde.serialize(event.data()),
                headers(event));
    }

    public static EventEnvelope<MeridianEvent> fromRecord(ConsumerRecord<?, byte[]> record) {
        return decode(record.headers(), record.value());
    }

    /** Reads an event back from headers and value; an {@link EventFormatException} names what is missing or wrong. */
    public static EventEnvelope<MeridianEvent> decode(Headers headers, byte[] value) {
        String specVersion = required(headers, CE_SPECVERSION);
        if (!SPEC_VERSION.equals(specVersion)) {
            throw new EventFormatException("unsupported CloudEvents spec version '" + specVersion + "', expected 1.0");
        }
        String ceType = required(headers, CE_TYPE);
        EventType type = EventType.ofCeType(ceType)
                .orElseThrow(() -> new EventFormatException("unknown event type '" + ceType + "' in " + CE_TYPE));
        String contentType = optional(headers, HEADER_CONTENT_TYPE);
        if (contentType != null && !contentType.startsWith(CONTENT_TYPE)) {
            throw new EventFormatException("unsupported content-type '" + contentType + "', expected " + CONTENT_TYPE);
        }
        Instant time;
        String rawTime = required(headers, CE_TIME);
        try {
            time = Instant.parse(rawTime);
        } catch (DateTimeParseException e) {
            throw new EventFormatException(CE_TIME + " '" + rawTime + "' is not an RFC 3339 timestamp", e);
        }
        MeridianEvent data = EventSerde.deserialize(value, type.payloadClass());
        String subject = required(headers, CE_SUBJECT);
        if (!subject.equals(data.subject())) {
            throw new EventFormatException(CE_SUBJECT + " '" + subject + "' does not match the payload's '"
                    + data.subject() + "'");
        }
        return new EventEnvelope<>(required(headers, CE_ID), required(headers, CE_SOURCE), type, time, subject,
                optional(headers, TRACEPARENT), data);
    }

    private static void put(Headers headers, String key, String value) {
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }

    private static String required(Headers headers, String key) {
        String value = optional(headers, key);
        if (value == null || value.isBlank()) {
            throw new EventFormatException("missing CloudEvents header " + key);
        }
        return value;
    }

    private static String optional(Headers headers, String key) {
        Header header = headers.lastHeader(key);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
