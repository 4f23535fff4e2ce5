package dev.meridian.inference.usage.service;

import dev.meridian.deadline.CallerContext;
import dev.meridian.deadline.ThrottledWarning;
import dev.meridian.inference.service.DatabaseDeadline;
import dev.meridian.inference.usage.UsageRecord;
import dev.meridian.inference.usage.config.UsageConfig;
import dev.meridian.inference.usage.repository.UsageRepository;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * Moves the journal's closed segments into usage_records, a segment deleted only once all its records are stored
 * (stored again after a crash in between, they are deduplicated by request key). Segments of an instance that died
 * on the same host are shipped too. While PostgreSQL is down the journal grows, up to its bound.
 */
@ApplicationScoped
public class UsageShipper {

    private static final Logger LOG = Logger.getLogger(UsageShipper.class);
    /** Records claimed per run: bounds the memory a long backlog takes when the database comes back. */
    private static final int MAX_RECORDS_PER_RUN = 20_000;

    private final UsageJournal journal;
    private final UsageRepository usage;
    private final DatabaseDeadline database;
    private final int batch;
    private final ThrottledWarning warning = new ThrottledWarning(LOG, Duration.ofSeconds(30));
    private final Counter failures;
    private volatile boolean caughtUp = true;

    public UsageShipper(UsageJournal journal, UsageRepository usage, DatabaseDeadline database, UsageConfig config,
                        MeterRegistry meters) {
        this.journal = journal;
        this.usage = usage;
        this.database = database;
        this.batch = config.shipBatch();
        Gauge.builder("meridian.inference.usage.backlog", journal, UsageJournal::backlogBytes).baseUnit("bytes")
                .description("usage journal not yet stored in PostgreSQL").register(meters);
        this.failures = Counter.builder("meridian.inference.usage.ship_failures")
                .description("shipping runs that failed (the records stay in the journal for the next)").register(meters);
    }

    @Scheduled(every = "${meridian.inference.usage.ship-interval:1s}", delayed = "1s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    Uni<Void> ship() {
        Executor back = CallerContext.current();
        // while shipping fails, the current segment keeps growing instead of one new file per run
        Uni<Void> rotated = caughtUp ? Uni.createFrom().completionStage(journal.rotate()).emitOn(back)
                : Uni.createFrom().voidItem();
        return rotated
                .flatMap(ignored -> Uni.createFrom().item(() -> claim())
                        .runSubscriptionOn(Infrastructure.getDefaultWorkerPool()).emitOn(back))
                .flatMap(segments -> Multi.createFrom().iterable(segments)
                        .onItem().transformToUniAndConcatenate(segment -> store(segment.records())
                                .call(() -> onWorker(() -> journal.shipped(segment), back)))
                        .collect().last()
                        // what is left claimed goes back (closing a shipped one again does nothing)
                        .onFailure().call(() -> onWorker(() -> segments.forEach(UsageJournal.Segment::close), back))
                        .onItem().invoke(() -> caughtUp = true)
                        .replaceWithVoid())
                .onFailure().recoverWithItem(e -> {
                    caughtUp = false;
                    failures.increment();
                    warning.warn("usage not shipped yet (kept in the journal, %d bytes): %s", journal.backlogBytes(),
                            e.toString());
                    return null;
                });
    }

    /** File work off the event loop, then back on the caller's context. */
    private static Uni<Void> onWorker(Runnable work, Executor back) {
        return Uni.createFrom().item(() -> {
            work.run();
            return (Void) null;
        }).runSubscriptionOn(Infrastructure.getDefaultWorkerPool()).emitOn(back);
    }

    private List<UsageJournal.Segment> claim() {
        try {
            return journal.claim(MAX_RECORDS_PER_RUN);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private Uni<Void> store(List<UsageRecord> records) {
        return Multi.createFrom().range(0, (records.size() + batch - 1) / batch)
                .onItem().transformToUniAndConcatenate(i -> database.bounded(usage.insert(
                        records.subList(i * batch, Math.min(records.size(), (i + 1) * batch)))))
                .collect().last()
                .replaceWithVoid();
    }
}
