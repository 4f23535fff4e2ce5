package dev.meridian.inference.user.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** How users.v1 events are applied when applying them fails, and how dead-lettered ones are replayed. */
@ConfigMapping(prefix = "meridian.user-events")
public interface UserEventsConfig {

    /** First wait before applying a failed event again; it doubles (with jitter) up to {@link #retryMaxBackoff()}. */
    @WithDefault("PT0.5S")
    Duration retryInitialBackoff();

    @WithDefault("PT30S")
    Duration retryMaxBackoff();

    /** One attempt at applying an event (a database that hangs rather than refuses counts as failed after it). */
    @WithDefault("PT15S")
    Duration attemptTimeout();

    /** Consumer group whose committed offsets mark how far users.v1.dlq has been replayed. */
    @WithDefault("inference-service-dlq-replay")
    String replayGroup();

    /** The longest one replay call reads the dead-letter topic; what it did not reach waits for the next call. */
    @WithDefault("PT60S")
    Duration replayTimeout();
}
