package dev.meridian.events;

import dev.meridian.events.user.UserErased;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CloudEventsKafkaTest {

    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private final EventEnvelope<UserErased> event = EventEnvelope.of("/user-service",
            new UserErased(UUID.randomUUID(), Instant.parse("2026-11-22T08:00:00Z")), TRACEPARENT);

    @Test
    void recordIsBinaryModeCloudEventKeyedBySubject() {
        ProducerRecord<String, byte[]> record = CloudEventsKafka.toRecord(event);
        assertEquals(Topics.USERS, record.topic());
        assertEquals(event.data().userId().toString(), record.key());
        assertEquals("1.0", header(record.headers(), "ce_specversion"));
        assertEquals(event.id(), header(record.headers(), "ce_id"));
        assertEquals("/user-service", header(record.headers(), "ce_source"));
        assertEquals("dev.meridian.user.erased.v1", header(record.headers(), "ce_type"));
        assertEquals(event.time().toString(), header(record.headers(), "ce_time"));
        assertEquals(record.key(), header(record.headers(), "ce_subject"));
        assertEquals("application/json", header(record.headers(), "content-type"));
        assertEquals(TRACEPARENT, header(record.headers(), "traceparent"));
        assertEquals(event, CloudEventsKafka.decode(record.headers(), record.value()));
    }

    @Test
    void missingTypeHeaderIsNamed() {
        ProducerRecord<String, byte[]> record = CloudEventsKafka.toRecord(event);
        record.headers().remove("ce_type");
        assertEquals("missing CloudEvents header ce_type", error(record.headers(), record.value()));
    }

    @Test
    void unknownTypeIsNamed() {
        ProducerRecord<String, byte[]> record = CloudEventsKafka.toRecord(event);
        record.headers().remove("ce_type").add("ce_type", "dev.meridian.user.renamed.v1".getBytes(StandardCharsets.UTF_8));
        assertEquals("unknown event type 'dev.meridian.user.renamed.v1' in ce_type", error(record.headers(), record.value()));
    }

    @Test
    void subjectMustMatchThePayload() {
        ProducerRecord<String, byte[]> record = CloudEventsKafka.toRecord(event);
        record.headers().remove("ce_subject").add("ce_subject", "someone-else".getBytes(StandardCharsets.UTF_8));
        assertEquals("ce_subject 'someone-else' does not match the payload's '" + event.subject() + "'",
                error(record.headers(), record.value()));
    }

    @Test
    void badTimeIsNamed() {
        ProducerRecord<String, byte[]> record = CloudEventsKafka.toRecord(event);
        record.headers().remove("ce_time").add("ce_time", "yesterday".getBytes(StandardCharsets.UTF_8));
        assertEquals("ce_time 'yesterday' is not an RFC 3339 timestamp", error(record.headers(), record.value()));
    }

    private static String error(Headers headers, byte[] value) {
        return assertThrows(EventFormatException.class, () -> CloudEventsKafka.decode(headers, value)).getMessage();
    }

    private static String header(Headers headers, String key) {
        return new String(headers.lastHeader(key).value(), StandardCharsets.UTF_8);
    }
}
