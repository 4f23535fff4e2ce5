package dev.meridian.user;

import dev.meridian.events.CloudEventsKafka;
import dev.meridian.events.EventEnvelope;
import dev.meridian.events.MeridianEvent;
import dev.meridian.events.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;

/** Reads users.v1 from the beginning like an external subscriber would, with a plain Kafka consumer. */
final class UsersTopic {

    private UsersTopic() {
    }

    /** Waits (up to the timeout) until {@code count} events about the given users arrived, in topic order. */
    static List<EventEnvelope<MeridianEvent>> await(String bootstrap, Set<String> subjects, int count, Duration timeout) {
        return awaitUntil(bootstrap, subjects, events -> events.size() >= count, timeout);
    }

    /** Waits (up to the timeout) until the events about the given users read so far satisfy {@code done}. */
    static List<EventEnvelope<MeridianEvent>> awaitUntil(String bootstrap, Set<String> subjects,
                                                         Predicate<List<EventEnvelope<MeridianEvent>>> done,
                                                         Duration timeout) {
        List<EventEnvelope<MeridianEvent>> events = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
            consumer.subscribe(List.of(Topics.USERS));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!done.test(events) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(250))) {
                    if (subjects.contains(record.key())) {
                        EventEnvelope<MeridianEvent> event = CloudEventsKafka.fromRecord(record);
                        if (!event.subject().equals(record.key())) {
                            throw new AssertionError("key " + record.key() + " differs from ce_subject " + event.subject());
                        }
                        events.add(event);
                    }
                }
            }
        }
        return events;
    }
}
