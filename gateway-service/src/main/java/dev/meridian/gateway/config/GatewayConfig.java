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

    Redis redis();

    Resilience resilience();

    Cache cache();

    WebSocket webSocket();

    /**
     * Addresses (CIDRs, or single addresses) of the proxies in front of the gateway, such as the ingress. A request
     * from one of them is attributed to the rightmost address of X-Forwarded-For (else Forwarded) that is not a trusted
     * proxy; from anyone else, to the TCP peer, whatever it sent. None by default.
     */
    Optional<List<String>> trustedProxies();

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

        /** A policy for every caller of this route (keyed by user, else client IP) instead of the caller's tier's. */
        Optional<String> rateLimitPolicy();

        /** Overrides {@link RateLimits#onRedisFailure()} for this route's rate limit and deny-list check. */
        Optional<FailureMode> onRedisFailure();

        /** Retries of a failed (502/503/504, reset or unreachable) request that may be repeated safely. */
        @WithDefault("2")
        int retries();

        /**
         * Every request of this route may be repeated, POSTs included, because it computes and changes nothing
         * (embeddings, similarity, search): its body is buffered (up to the replayable limit) so that a failed or
         * reset attempt can go to another instance.
         */
        @WithDefault("false")
        boolean repeatable();

        /** GET/HEAD answers are cached as the upstream's Cache-Control allows. */
        @WithDefault("false")
        boolean cache();

        /**
         * Query parameters that select a cached answer. A request with any other parameter goes to the upstream
         * uncached ({@code X-Cache: BYPASS}): invented queries never fill the cache.
         */
        Optional<List<String>> cacheQuery();
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

        /**
         * While Redis is unhealthy: local, an in-memory limiter at limit / gateway-instances; open, let the request
         * through; closed, 503. For the deny-list check, local is open (revocations live only in Redis).
         */
        @WithDefault("local")
        FailureMode onRedisFailure();

        /** How many gateway instances share the limits; the local fallback gives each one its share. */
        @WithDefault("1")
        int gatewayInstances();
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

    enum FailureMode { OPEN, CLOSED, LOCAL }

    /** When the request path stops waiting for Redis (rate limits, deny-list, cache reads). */
    interface Redis {
        /** How often the health probe pings Redis; a ping still unanswered at the next one is a miss. */
        @WithDefault("PT0.05S")
        Duration probeInterval();

        /** Misses in a row after which Redis is unhealthy (a connection error makes it unhealthy at once). */
        @WithDefault("3")
        int unhealthyAfterMisses();

        /** The longest a request waits for an answer while Redis is healthy. */
        @WithDefault("PT1S")
        Duration maxWait();
    }

    interface Resilience {
        /** An instance whose requests fail this many times in a row is ejected from load balancing. */
        @WithDefault("3")
        int ejectAfterFailures();

        /** The first ejection's length; each one that follows soon after doubles it, up to the maximum. */
        @WithDefault("PT10S")
        Duration ejectionCoolDown();

        @WithDefault("PT5M")
        Duration maxEjectionCoolDown();

        /** How often every instance's readiness is checked (0: never); an instance not ready is out of rotation. */
        @WithDefault("PT2S")
        Duration healthCheckInterval();

        @WithDefault("/q/health/ready")
        String healthCheckPath();

        @WithDefault("PT1S")
        Duration healthCheckTimeout();

        /**
         * Requests that may be repeated (repeatable routes, POSTs with an Idempotency-Key) with a body up to this
         * size are buffered so they can be retried; larger ones are streamed and sent once.
         */
        @WithDefault("1048576")
        int replayableBodyLimit();
    }

    interface Cache {
        /** In-process tier, in front of Redis; bounded by the bytes of the bodies it holds. */
        @WithDefault("67108864")
        long localMaxBytes();

        /** The in-process copy is re-read from Redis at least this often, so a purge reaches every instance. */
        @WithDefault("PT5S")
        Duration localTtl();

        /** Larger answers (or ones without Content-Length) pass through uncached. */
        @WithDefault("1048576")
        int maxBodySize();

        /** Longest freshness the gateway grants, whatever the upstream says. */
        @WithDefault("PT1H")
        Duration maxTtl();

        /** How long past freshness an entry may still be served when the upstream fails, unless it says otherwise. */
        @WithDefault("PT5M")
        Duration staleIfError();
    }

    interface WebSocket {
        /** How often an open socket's caller is checked against the deny-list when it sends nothing. */
        @WithDefault("PT2S")
        Duration revalidateInterval();
    }

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

        /** A key user-service refused is refused again without asking for this long. */
        @WithDefault("PT30S")
        Duration refusedKeyMemory();

        /** Exchanges in flight at user-service; more wait in a queue of {@link #exchangeQueue()}. */
        @WithDefault("8")
        int exchangeConcurrency();

        /** Exchanges that may wait for a connection; beyond that a request gets 503 with Retry-After at once. */
        @WithDefault("64")
        int exchangeQueue();
    }
}
