package dev.meridian.outbox;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Instant;

/**
 * Deletes outbox rows published more than {@code meridian.outbox.prune-after} ago, in batches, so payloads (display
 * names and the like) do not outlive their delivery. Unsent rows are never touched, however old: they are the
 * relay's backlog.
 */
@ApplicationScoped
public class OutboxPruner {

    private static final Logger LOG = Logger.getLogger(OutboxPruner.class);

    private final OutboxRepository outbox;
    private final OutboxConfig config;
    private volatile boolean stopping;

    public OutboxPruner(OutboxRepository outbox, OutboxConfig config) {
        this.outbox = outbox;
        this.config = config;
    }

    @Scheduled(every = "${meridian.outbox.prune-interval:1m}", delayed = "5s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    Uni<Void> prune() {
        Instant before = Instant.now().minus(config.pruneAfter());
        return pruneBatches(before, 0)
                .onFailure().invoke(e -> {
                    if (!stopping) {
                        LOG.warnf("outbox pruning failed, retried on the next run: %s", e.getMessage());
                    }
                })
                .onFailure().recoverWithNull();
    }

    /** One transaction per batch: a failure keeps what earlier batches deleted. */
    private Uni<Void> pruneBatches(Instant before, int done) {
        if (done >= config.pruneMaxBatches()) {
            return Uni.createFrom().voidItem();
        }
        return Panache.withTransaction(() -> outbox.deletePublishedBefore(before, config.pruneBatch()))
                .flatMap(deleted -> deleted < config.pruneBatch() ? Uni.createFrom().voidItem()
                        : pruneBatches(before, done + 1));
    }

    void onStop(@Observes ShutdownEvent event) {
        stopping = true;
    }
}
