package dev.meridian.outbox;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

@ConfigMapping(prefix = "meridian.outbox")
public interface OutboxConfig {

    /** How often the relay looks for unsent rows (read by its {@code @Scheduled} expression). */
    @WithDefault("0.2s")
    String pollInterval();

    /**
     * How long the relay lease lasts: with several instances, only the holder publishes, and another takes over this
     * long after the holder stopped renewing it (died). The holder sends only during the first half of a lease, so a
     * send it starts (bounded by the producer's {@code delivery.timeout.ms}, 15 s) ends before anyone else may start.
     */
    @WithDefault("PT30S")
    Duration leaseDuration();

    /**
     * How long a published row is kept before it is deleted. Rows carry user payloads (display names): once Kafka has
     * them, the outbox has no reason to keep them; the while left covers an operator looking at a recent incident.
     */
    @WithDefault("PT1H")
    Duration pruneAfter();

    /** How often the pruner runs (read by its {@code @Scheduled} expression). */
    @WithDefault("1m")
    String pruneInterval();

    /** Rows deleted per statement, so one run never holds long locks or a huge transaction. */
    @WithDefault("500")
    int pruneBatch();

    /** Statements per run: a backlog larger than batch x this is worked off over the next runs. */
    @WithDefault("20")
    int pruneMaxBatches();
}
