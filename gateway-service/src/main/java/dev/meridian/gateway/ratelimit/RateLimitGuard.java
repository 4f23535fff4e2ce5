package dev.meridian.gateway.ratelimit;

import dev.meridian.gateway.auth.EdgeTokenVerifier.Identity;
import dev.meridian.gateway.config.GatewayConfig;
import dev.meridian.gateway.pipeline.Refusal;
import dev.meridian.gateway.redis.OutageWarning;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.trace.Span;
import io.smallrye.mutiny.Uni;
import io.vertx.core.MultiMap;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/**
 * One subject checked against one policy: in Redis, or while Redis is unhealthy by the route's failure mode (limit in
 * this process at this instance's share, let through, or refuse with 503). Every decision is counted by where it was
 * made ({@code meridian_gateway_ratelimit_decisions_total{source}}). A decision becomes the IETF draft RateLimit
 * headers, and a 429 with Retry-After when over.
 */
@Singleton
public class RateLimitGuard {

    public static final String ANONYMOUS = "anonymous";
    public static final String DEFAULT_TIER = "free";

    private final RateLimiter limiter;
    private final LocalRateLimiter localLimiter;
    private final GatewayConfig.RateLimits config;
    private final OutageWarning outage = new OutageWarning(Logger.getLogger(RateLimitGuard.class));
    private final Counter byRedis;
    private final Counter byLocal;
    private final Counter unlimited;
    private final Counter refused;

    public RateLimitGuard(RateLimiter limiter, LocalRateLimiter localLimiter, GatewayConfig config,
                          MeterRegistry meters) {
        this.limiter = limiter;
        this.localLimiter = localLimiter;
        this.config = config.rateLimits();
        this.byRedis = decisions(meters, "redis");
        this.byLocal = decisions(meters, "local");
        this.unlimited = decisions(meters, "open");
        this.refused = decisions(meters, "closed");
    }

    private static Counter decisions(MeterRegistry meters, String source) {
        return Counter.builder("meridian.gateway.ratelimit.decisions")
                .description("rate-limit decisions by where they were made: redis, or without it local, open, closed")
                .tag("source", source).register(meters);
    }

    public boolean enabled() {
        return config.enabled();
    }

    /**
     * Checks and spends one request of {@code subject} ({@code ip:<address>} or {@code user:<id>}); with
     * {@code revocable}, its deny-list entries are read in the same Redis call. Null when the failure mode let the
     * request through unlimited.
     */
    public Uni<RateLimiter.Decision> acquire(String policyName, String subject, Identity revocable,
                                             GatewayConfig.FailureMode routeMode) {
        RateLimiter.Policy policy = limiter.policy(policyName);
        GatewayConfig.FailureMode onFailure = routeMode == null ? config.onRedisFailure() : routeMode;
        return limiter.acquire(policy, subject, revocable)
                .invoke(() -> byRedis.increment())
                .onFailure().recoverWithUni(e -> {
                    // the step's span: an operator sees why this request has no Redis call under it
                    Span.current().setAttribute("meridian.ratelimit.redis", "unavailable");
                    outage.warn("rate limiting unavailable (%s): failing %s", e, onFailure);
                    return switch (onFailure) {
                        case LOCAL -> {
                            byLocal.increment();
                            yield Uni.createFrom().item(localLimiter.acquire(policy, subject));
                        }
                        case OPEN -> {
                            unlimited.increment();
                            yield Uni.createFrom().nullItem();
                        }
                        case CLOSED -> {
                            refused.increment();
                            yield Uni.createFrom().failure(new Refusal(503, "rate-limit-unavailable",
                                    "Service Unavailable", "rate limiting is unavailable; retry shortly", 1));
                        }
                    };
                });
    }

    /** The policy a caller is limited by: the route's, else their tier's (free when unknown), else anonymous. */
    public String policyFor(String routePolicy, Identity identity) {
        if (routePolicy != null) {
            return routePolicy;
        }
        if (identity == null) {
            return ANONYMOUS;
        }
        return identity.tier() != null && limiter.hasPolicy(identity.tier()) ? identity.tier() : DEFAULT_TIER;
    }

    /** Of two decisions for one request, the one to report: a refusal, else the one with fewer requests left. */
    public static RateLimiter.Decision tighter(RateLimiter.Decision a, RateLimiter.Decision b) {
        if (a == null || b == null) {
            return a == null ? b : a;
        }
        if (!a.allowed() || !b.allowed()) {
            return a.allowed() ? b : a;
        }
        return b.remaining() < a.remaining() ? b : a;
    }

    /**
     * Writes the decision's RateLimit headers and refuses the request when over the limit (429) or revoked (401).
     * A null decision (let through without a limit) writes nothing.
     */
    public static void enforce(RateLimiter.Decision decision, MultiMap responseHeaders) {
        if (decision == null) {
            return;
        }
        if (decision.revoked()) {
            throw new Refusal(401, "unauthorized", "Unauthorized", "the access token is revoked", 0);
        }
        long resetSeconds = (long) Math.ceil(decision.resetMicros() / 1_000_000.0);
        responseHeaders.set("RateLimit-Policy", decision.policy().header());
        responseHeaders.set("RateLimit", "limit=" + decision.tightest().burst()
                + ", remaining=" + decision.remaining() + ", reset=" + resetSeconds);
        if (!decision.allowed()) {
            long retryAfter = Math.max(1, (long) Math.ceil(decision.retryAfterMicros() / 1_000_000.0));
            throw new Refusal(429, "rate-limited", "Too Many Requests",
                    "rate limit '" + decision.policy().name() + "' exceeded; retry in " + retryAfter + " s", retryAfter);
        }
    }
}
