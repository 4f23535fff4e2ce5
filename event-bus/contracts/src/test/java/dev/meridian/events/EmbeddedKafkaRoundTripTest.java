package dev.meridian.events;

import dev.meridian.events.inference.InferenceJobRequested;
import dev.meridian.events.inference.JobType;
import dev.meridian.local.infra.LocalKafka;
import dev.meridian.local.infra.Ports;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An event written with the event-bus mapping to the embedded broker is read back identical by a plain consumer. */
class EmbeddedKafkaRoundTripTest {

    @TempDir
    static Path dir;
    private static LocalKafka kafka;

    @BeforeAll
    static void startKafka() throws Exception {
        int[] ports = Ports.free(2);
        kafka = new LocalKafka(ports[0], ports[1], dir.resolve("kafka"), dir.resolve("kafka.log"));
        kafka.start();
    }

    @AfterAll
    static void stopKafka() {
        kafka.close();
    }

    @Test
    void eventComesBackIdenticalHeadersIncluded() throws Exception {
        EventEnvelope<InferenceJobRequested> event = EventEnvelope.of("/inference-service",
                new InferenceJobRequested(UUID.randomUUID(), UUID.randomUUID(), JobType.EMBED_BATCH,
                        "all-minilm-l6-v2", 42, null, Instant.parse("2026-11-22T09:20:00Z")),
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        ProducerRecord<String, byte[]> sent = CloudEventsKafka.toRecord(event);
        String topic = "roundtrip-" + UUID.randomUUID();
        produce(new ProducerRecord<>(topic, null, sent.key(), sent.value(), sent.headers()));

        ConsumerRecord<byte[], byte[]> received = consumeOne(topic);
        assertEquals(sent.key(), new String(received.key(), StandardCharsets.UTF_8));
        assertArrayEquals(sent.value(), received.value());
        assertEquals(render(sent.headers().toArray()), render(received.headers().toArray()));
        assertEquals(event, CloudEventsKafka.decode(received.headers(), received.value()));
    }

    @Test
    void malformedPayloadOnTheTopicIsAClearError() throws Exception {
        EventEnvelope<InferenceJobRequested> event = EventEnvelope.of("/inference-service",
                new InferenceJobRequested(UUID.randomUUID(), UUID.randomUUID(), JobType.EMBED_BATCH, "m", 1, null,
                        Instant.now()), null);
        ProducerRecord<String, byte[]> good = CloudEventsKafka.toRecord(event);
        String topic = "malformed-" + UUID.randomUUID();
        produce(new ProducerRecord<>(topic, null, good.key(), "{\"jobId\": \"0b6f".getBytes(StandardCharsets.UTF_8),
                good.headers()));

        ConsumerRecord<byte[], byte[]> received = consumeOne(topic);
        EventFormatException error = assertThrows(EventFormatException.class,
                () -> CloudEventsKafka.decode(received.headers(), received.value()));
        assertTrue(error.getMessage().startsWith("malformed JSON in InferenceJobRequested payload"), error.getMessage());
    }

    private static void produce(ProducerRecord<String, byte[]> record) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.address(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
            producer.send(record).get();
        }
    }

    private static ConsumerRecord<byte[], byte[]> consumeOne(String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.address(),
                ConsumerConfig.GROUP_ID_CONFIG, "roundtrip-test",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (records.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            }
            assertEquals(1, records.size(), "expected exactly the one record written to " + topic);
            return records.get(0);
        }
    }

    private static List<String> render(Header[] headers) {
        return Arrays.stream(headers)
                .map(h -> h.key() + "=" + new String(h.value(), StandardCharsets.UTF_8)).toList();
    }
}
