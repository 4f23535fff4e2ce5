package dev.meridian.gateway.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Routes, rate limits and edge identity. Upstreams are SmallRye Stork services ({@code quarkus.stork.<name>.*}: a
 * static list locally, Kubernetes discovery in a cluster). Defaults live in application.properties.
 */
@ConfigMapping(prefix = "meridian.gateway")
public interface GatewayConfig {

    /** By route id; the longest matching path wins, an exact path beats a prefix. */
    Map<String, Route> routes();

    Jwt jwt();

    RateLimits rateLimits();

    interface Route {
        /** A path prefix ({@code /v1/users}) that also matches everything below it, or an exact path. */
        String path();

        @WithDefault("false")
        boolean exact();

        /** Methods this route applies to; empty means all. */
        Optional<List<String>> methods();

        /** The Stork service to forward to, e.g. {@code users}. */
        String upstream();

        @WithDefault("authenticated")
        Auth auth();

        @WithDefault("PT30S")
        Duration timeout();

        @WithDefault("true")
        boolean rateLimited();
    }

    enum Auth { PUBLIC, AUTHENTICATED, ADMIN }

    interface RateLimits {
        @WithDefault("true")
        boolean enabled();

        /**
         * Named policies: one per tier ({@code free}, {@code pro}) for authenticated callers, keyed by user id, and
         * {@code anonymous} for callers without a token, keyed by client IP.
         */
        Map<String, Policy> policies();

        /** Redis calls that take longer count as failed, so an outage never stalls traffic. */
        @WithDefault("PT0.05S")
        Duration redisTimeout();

        /** open: let the request through; closed: 503. */
        @WithDefault("open")
        FailureMode onRedisFailure();
    }

    interface Policy {
        /** Every limit of the policy is checked in one Redis round trip; the request needs all of them. */
        Map<String, Limit> limits();
    }

    interface Limit {
        /** Requests per window; fractional rates are fine (0.5 per second). */
        double rate();

        Duration window();

        /** Requests that may arrive at once; defaults to the rate (rounded up). */
        Optional<Integer> burst();
    }

    enum FailureMode { OPEN, CLOSED }

    interface Jwt {
        String jwksUrl();

        @WithDefault("https://meridian.dev/user-service")
        String issuer();

        @WithDefault("meridian")
        String audience();

        @WithDefault("PT30S")
        Duration clockSkew();

        /** Background refresh of the key set. */
        @WithDefault("PT5M")
        Duration refreshInterval();

        /** An unknown kid triggers at most one refresh per this interval. */
        @WithDefault("PT10S")
        Duration unknownKidRefreshInterval();

        /** user-service's token endpoint, where API keys ({@code mk_...}) are exchanged for access JWTs. */
        String tokenUrl();

        /** Exchanged tokens are reused until this long before they expire. */
        @WithDefault("PT60S")
        Duration exchangeRenewBefore();
    }
}
