package dev.meridian.user.webhook.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

@ConfigMapping(prefix = "meridian.webhooks")
public interface WebhookConfig {

    /**
     * How often each instance looks for due deliveries (read by the dispatcher's {@code @Scheduled} expression; the
     * Quarkus scheduler's finest step is one second).
     */
    @WithDefault("1s")
    String pollInterval();

    /** Endpoints one user may have (admins too, platform-scope ones included). */
    @WithDefault("10")
    int maxEndpointsPerUser();

    /** Undelivered events one endpoint may pile up; past it the endpoint is disabled and receives no more. */
    @WithDefault("10000")
    int maxPendingPerEndpoint();

    /** Deliveries in flight at once from one instance; one per endpoint, so one slow endpoint holds one slot. */
    @WithDefault("64")
    int maxInFlight();

    @WithDefault("PT5S")
    Duration connectTimeout();

    /** The whole exchange, from connecting to the last byte of the response we read. */
    @WithDefault("PT10S")
    Duration requestTimeout();

    /** Response bodies are read up to this many bytes, then the connection is reset. */
    @WithDefault("4096")
    int maxResponseBytes();

    /** First retry after this, doubling up to max-backoff, with 20 % jitter; a receiver's Retry-After wins. */
    @WithDefault("PT5S")
    Duration initialBackoff();

    @WithDefault("PT1H")
    Duration maxBackoff();

    /** How long a delivery keeps being retried before it is marked failed (and the next one goes). */
    @WithDefault("P3D")
    Duration retryFor();

    /** An endpoint whose every attempt has failed for this long is disabled and its owner told. */
    @WithDefault("P5D")
    Duration disableAfter();

    /** After a rotation the previous secret signs too, so receivers can switch without losing deliveries. */
    @WithDefault("PT24H")
    Duration secretOverlap();

    /** Finished deliveries are kept this long in the log, then deleted. */
    @WithDefault("P30D")
    Duration retention();

    /**
     * Networks deliveries may reach although they are loopback, private, link-local or otherwise internal (CIDRs, e.g.
     * 10.20.0.0/16). Empty by default: webhooks only go to public addresses.
     */
    Optional<List<String>> allowedNetworks();

    /** Applying one consumed event (finding endpoints, queueing deliveries); past it, it is tried again. */
    @WithDefault("PT5S")
    Duration consumeTimeout();
}
