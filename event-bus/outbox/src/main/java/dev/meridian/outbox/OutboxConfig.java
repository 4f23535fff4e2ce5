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
