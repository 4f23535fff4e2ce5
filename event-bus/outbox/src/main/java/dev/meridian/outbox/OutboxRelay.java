package dev.meridian.outbox;

import dev.meridian.events.CloudEventsKafka;
import dev.meridian.events.EventEnvelope;
import dev.meridian.events.EventSerde;
import dev.meridian.events.EventType;
import dev.meridian.events.MeridianEvent;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Publishes committed outbox rows in commit order, each to its event type's topic, one at a time (each waits for
 * Kafka's ack), and marks them sent. When Kafka is down the batch stops at the first failure and the next run retries
 * from there, so nothing is skipped and one aggregate's events never overtake each other. Delivery is at least once (a
 * crash between ack and mark re-sends); consumers dedupe on ce_id, which is the outbox row's event id.
 * <p>
 * Several instances share one outbox: only the holder of the relay lease publishes (a row in the database, renewed by
 * each poll, taken over once it expired). No transaction stays open while Kafka is waited for: the lease is claimed in
 * one statement, and the holder sends only in the first half of its lease, so it is done before another instance may
 * begin. A row is sent twice only if its holder stalls (a pause, not a crash) longer than that.
 * <p>
 * Published rows are deleted later by {@link OutboxPruner}.
 * <p>
 * A service using it configures the Kafka producer of channel {@value #CHANNEL}
 * ({@code mp.messaging.outgoing.outbox.*}) and adds {@code db/outbox} to {@code quarkus.flyway.locations}.
 */
@ApplicationScoped
public class OutboxRelay {

    public static final String CHANNEL = "outbox";
    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);
    private static final int BATCH = 100;

    private final MutinyEmitter<byte[]> emitter;
    private final OutboxRepository outbox;
    private final Duration lease;
    /** This instance in the lease: unique per process start. */
    private final String holder = ProcessHandle.current().pid() + "@" + UUID.randomUUID();
    /** Commit time of the oldest row the last poll found unsent; null when it found none. */
    private volatile Instant oldestPending;
    private volatile int pendingInBatch;
    private volatile boolean stopping;

    public OutboxRelay(@Channel(CHANNEL) MutinyEmitter<byte[]> emitter, OutboxRepository outbox, OutboxConfig config,
                       MeterRegistry meters) {
        this.emitter = emitter;
        this.outbox = outbox;
        this.lease = config.leaseDuration();
        // the backlog an alert watches: the age keeps growing while Kafka (or the database) is down
        Gauge.builder("meridian.outbox.oldest.age", this, OutboxRelay::oldestPendingAge).baseUnit("seconds")
                .description("age of the oldest event not yet published to Kafka").register(meters);
        Gauge.builder("meridian.outbox.pending", this, relay -> relay.pendingInBatch)
                .description("unsent events the last poll found (at most " + BATCH + ")").register(meters);
    }

    private double oldestPendingAge() {
        Instant oldest = oldestPending;
        return oldest == null ? 0 : Math.max(0, Duration.between(oldest, Instant.now()).toMillis() / 1000.0);
    }

    @Scheduled(every = "${meridian.outbox.poll-interval:0.2s}", delayed = "1s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    Uni<Void> relay() {
        if (!emitter.hasRequests()) {
            return Uni.createFrom().voidItem(); // the Kafka sink is not connected yet (start-up) or has no demand
        }
        long sendUntil = System.nanoTime() + lease.toNanos() / 2;
        return Panache.withTransaction(() -> outbox.claimLease(holder, lease))
                .flatMap(leader -> !leader ? Uni.createFrom().voidItem()
                        : Panache.withSession(() -> outbox.pending(BATCH)).flatMap(rows -> publish(rows, sendUntil)))
                // a poll caught by shutdown fails on the closed pool; its rows stay unsent for the next start
                .onFailure(e -> stopping).recoverWithNull();
    }

    /** Hands the lease back, so an instance that stays (or this one, restarted) takes over at once, not in 30 s. */
    void onStop(@Observes ShutdownEvent event) {
        stopping = true;
        try {
            VertxContextSupport.subscribeAndAwait(() -> Panache.withTransaction(() -> outbox.releaseLease(holder))
                    .ifNoItem().after(Duration.ofSeconds(2)).fail());
        } catch (Throwable e) {
            LOG.debugf("relay lease not released (it expires by itself): %s", e.toString());
        }
    }

    private Uni<Void> publish(List<OutboxEvent> pending, long sendUntil) {
        oldestPending = pending.isEmpty() ? null : pending.get(0).createdAt;
        pendingInBatch = pending.size();
        if (pending.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<Long> sent = new ArrayList<>();
        return Multi.createFrom().iterable(pending)
                .onItem().transformToUniAndConcatenate(row -> System.nanoTime() > sendUntil
                        ? Uni.createFrom().failure(new IllegalStateException("the half of the relay lease is over"))
                        : send(row).invoke(() -> sent.add(row.seq)))
                .collect().last()
                .onFailure().invoke(e -> LOG.warnf("outbox relay paused after %d of %d events: %s", sent.size(),
                        pending.size(), e.getMessage()))
                .onFailure().recoverWithNull()
                .flatMap(ignored -> sent.isEmpty() ? Uni.createFrom().voidItem()
                        : Panache.withTransaction(() -> outbox.markPublished(sent, Instant.now())).replaceWithVoid());
    }

    private Uni<Void> send(OutboxEvent row) {
        EventType type = EventType.ofCeType(row.eventType).orElseThrow(
                () -> new IllegalStateException("outbox row " + row.seq + " has unknown type " + row.eventType));
        MeridianEvent data = EventSerde.deserialize(row.payload, type.payloadClass());
        EventEnvelope<MeridianEvent> envelope = new EventEnvelope<>(row.eventId.toString(), row.source, type,
                row.createdAt, row.aggregateId, row.traceparent, data);
        Message<byte[]> message = Message.of(row.payload).addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                .withTopic(type.topic())
                .withKey(row.aggregateId)
                .withHeaders(CloudEventsKafka.headers(envelope))
                .build());
        return emitter.sendMessage(message);
    }
}
