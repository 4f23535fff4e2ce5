package dev.meridian.inference.user.messaging;

import dev.meridian.events.EventEnvelope;
import dev.meridian.events.MeridianEvent;
import dev.meridian.events.Topics;
import dev.meridian.inference.service.InferenceException;
import dev.meridian.inference.user.config.UserEventsConfig;
import dev.meridian.inference.user.service.UserEventService;
import io.quarkus.vertx.VertxContextSupport;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Applies again what users.v1.dlq holds, in order per partition, from where the last replay stopped (the offsets of
 * group {@code meridian.user-events.replay-group}) up to the end the topic had when the replay began. Applying is
 * idempotent (processed_events), so an event that had been applied after all, or a replay that runs twice, changes
 * nothing. A record still unreadable is reported and passed over (it can never be applied); a failure to apply stops
 * the replay at that record, which the next replay starts from. Blocking: call it from a worker thread.
 */
@ApplicationScoped
public class UsersDeadLetterReplay {

    public record Unreadable(int partition, long offset, String reason) {
    }

    /** @param complete false when the replay ran out of time before the end it set out for (call again) */
    public record Result(int replayed, List<Unreadable> unreadable, boolean complete) {
    }

    private static final Logger LOG = Logger.getLogger(UsersDeadLetterReplay.class);
    private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(10);

    private final UserEventService users;
    private final UserEventsConfig config;
    private final String bootstrap;
    /** One replay at a time per instance; across instances the dedupe makes a double apply harmless. */
    private final AtomicBoolean running = new AtomicBoolean();

    public UsersDeadLetterReplay(UserEventService users, UserEventsConfig config,
                                 @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrap) {
        this.users = users;
        this.config = config;
        this.bootstrap = bootstrap;
    }

    public Result replay() {
        if (!running.compareAndSet(false, true)) {
            throw new InferenceException(409, "invalid_request_error", "replay_running", null,
                    "a replay of " + Topics.USERS_DLQ + " is running on this instance", null);
        }
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, config.replayGroup(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 100,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
            return replay(consumer);
        } catch (org.apache.kafka.common.KafkaException e) {
            throw InferenceException.unavailable("kafka_unavailable", "the dead-letter topic could not be read: "
                    + e.getMessage());
        } finally {
            running.set(false);
        }
    }

    private Result replay(KafkaConsumer<String, byte[]> consumer) {
        List<TopicPartition> partitions = consumer.partitionsFor(Topics.USERS_DLQ, KAFKA_TIMEOUT).stream()
                .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
        consumer.assign(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, KAFKA_TIMEOUT);
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(Set.copyOf(partitions), KAFKA_TIMEOUT);
        List<TopicPartition> pending = new ArrayList<>();
        for (TopicPartition partition : partitions) {
            OffsetAndMetadata from = committed.get(partition);
            if (from != null) {
                consumer.seek(partition, from.offset());
            } else {
                consumer.seekToBeginning(List.of(partition));
            }
            if (consumer.position(partition, KAFKA_TIMEOUT) < end.get(partition)) {
                pending.add(partition);
            }
        }
        int replayed = 0;
        List<Unreadable> unreadable = new ArrayList<>();
        long deadline = System.nanoTime() + config.replayTimeout().toNanos();
        while (!pending.isEmpty() && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                if (record.offset() >= end.get(partition)) {
                    continue; // arrived after the replay began: the next one takes it
                }
                EventEnvelope<MeridianEvent> event;
                try {
                    event = UserEventsConsumer.decode(record.headers(), record.value());
                } catch (RuntimeException e) {
                    unreadable.add(new Unreadable(record.partition(), record.offset(), e.getMessage()));
                    commit(consumer, partition, record.offset() + 1);
                    continue;
                }
                try {
                    VertxContextSupport.subscribeAndAwait(() -> users.apply(event)
                            .ifNoItem().after(config.attemptTimeout()).fail());
                } catch (Throwable e) {
                    LOG.warnf("replay of %s stopped at partition %d offset %d: %s", Topics.USERS_DLQ,
                            record.partition(), record.offset(), e.toString());
                    throw InferenceException.unavailable("replay_interrupted", replayed + " events replayed, then"
                            + " event " + event.id() + " (partition " + record.partition() + ", offset "
                            + record.offset() + ") could not be applied: " + e.getMessage()
                            + "; the next replay starts from it");
                }
                replayed++;
                commit(consumer, partition, record.offset() + 1);
            }
            pending.removeIf(partition -> consumer.position(partition, KAFKA_TIMEOUT) >= end.get(partition));
        }
        LOG.infof("replayed %d events of %s (%d unreadable passed over)", replayed, Topics.USERS_DLQ,
                unreadable.size());
        return new Result(replayed, unreadable, pending.isEmpty());
    }

    private static void commit(KafkaConsumer<?, ?> consumer, TopicPartition partition, long next) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        offsets.put(partition, new OffsetAndMetadata(next));
        consumer.commitSync(offsets, KAFKA_TIMEOUT);
    }
}
