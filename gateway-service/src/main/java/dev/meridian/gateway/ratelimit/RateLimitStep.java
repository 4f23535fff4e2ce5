package dev.meridian.gateway.ratelimit;

import dev.meridian.gateway.auth.EdgeTokenVerifier.Identity;
import dev.meridian.gateway.config.GatewayConfig;
import dev.meridian.gateway.pipeline.Exchange;
import dev.meridian.gateway.pipeline.Refusal;
import dev.meridian.gateway.pipeline.RouteTable;
import dev.meridian.gateway.pipeline.Step;
import dev.meridian.gateway.redis.OutageWarning;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.trace.Span;
import io.smallrye.mutiny.Uni;
import io.vertx.core.MultiMap;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/**
 * Per-user (by tier) or per-client-IP (anonymous) rate limits with IETF draft RateLimit headers; 429 with
 * Retry-After when over. A route may name its own policy. While Redis is unhealthy the route's failure mode decides:
 * limit in this process at this instance's share (the default), let through, or refuse with 503. Every decision is
 * counted by where it was made ({@code meridian_gateway_ratelimit_decisions_total{source}}).
 */
@Singleton
public class RateLimitStep implements Step {

    public static final String ANONYMOUS = "anonymous";
    public static final String DEFAULT_TIER = "free";

    private final RateLimiter limiter;
    private final LocalRateLimiter localLimiter;
    private final GatewayConfig.RateLimits config;
    private final OutageWarning outage = new OutageWarning(Logger.getLogger(RateLimitStep.class));
    private final Counter byRedis;
    private final Counter byLocal;
    private final Counter unlimited;
    private final Counter refused;

    public RateLimitStep(RateLimiter limiter, LocalRateLimiter localLimiter, GatewayConfig config, RouteTable routes,
                         MeterRegistry meters) {
        this.limiter = limiter;
        this.localLimiter = localLimiter;
        this.config = config.rateLimits();
        this.byRedis = decisions(meters, "redis");
        this.byLocal = decisions(meters, "local");
        this.unlimited = decisions(meters, "open");
        this.refused = decisions(meters, "closed");
        // a route naming a policy that does not exist fails the start, not its first request
        routes.all().forEach(route -> route.rateLimitPolicy().ifPresent(limiter::policy));
    }

    private static Counter decisions(MeterRegistry meters, String source) {
        return Counter.builder("meridian.gateway.ratelimit.decisions")
                .description("rate-limit decisions by where they were made: redis, or without it local, open, closed")
                .tag("source", source).register(meters);
    }

    @Override
    public String spanName() {
        return "rate limit";
    }

    /**
     * Adds the RateLimit headers to the response; fails with a 429 (or 503) refusal when over, and with a 401 when
     * the deny-list revokes the caller's token on a route whose deny-list is read here
     * ({@link RouteTable.Route#denyListInRateLimit}; when Redis cannot answer, the token passes, as the deny-list
     * lookup of the authentication step would let it).
     */
    @Override
    public Uni<Void> apply(Exchange exchange) {
        RouteTable.Route route = exchange.route();
        if (!config.enabled() || !route.rateLimited()) {
            return NEXT;
        }
        Identity identity = exchange.identity();
        MultiMap responseHeaders = exchange.ctx().response().headers();
        String policyName = route.rateLimitPolicy().orElse(identity == null ? ANONYMOUS
                : limiter.hasPolicy(identity.tier()) ? identity.tier() : DEFAULT_TIER);
        RateLimiter.Policy policy = limiter.policy(policyName);
        String subject = identity == null ? "ip:" + exchange.clientIp() : "user:" + identity.userId();
        GatewayConfig.FailureMode onFailure = route.onRedisFailure().orElse(config.onRedisFailure());
        return limiter.acquire(policy, subject, route.denyListInRateLimit() ? identity : null)
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
                })
                .invoke(decision -> {
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
                                "rate limit '" + policyName + "' exceeded; retry in " + retryAfter + " s", retryAfter);
                    }
                })
                .replaceWithVoid();
    }
}
