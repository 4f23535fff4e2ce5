package dev.meridian.gateway.filter;

import dev.meridian.gateway.config.GatewayConfig;
import dev.meridian.gateway.service.EdgeTokenVerifier.Identity;
import dev.meridian.gateway.service.EventLoopDeadline;
import dev.meridian.gateway.service.LocalRateLimiter;
import dev.meridian.gateway.service.OutageWarning;
import dev.meridian.gateway.service.RateLimiter;
import dev.meridian.gateway.service.RouteTable;
import io.opentelemetry.api.trace.Span;
import io.smallrye.mutiny.Uni;
import io.vertx.core.MultiMap;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/**
 * Per-user (by tier) or per-client-IP (anonymous) rate limits with IETF draft RateLimit headers; 429 with
 * Retry-After when over. A route may name its own policy. When Redis cannot answer within its timeout the route's
 * failure mode decides: let through, refuse with 503, or limit in this process at this instance's share.
 */
@Singleton
public class RateLimitFilter {

    public static final String ANONYMOUS = "anonymous";
    public static final String DEFAULT_TIER = "free";

    private final RateLimiter limiter;
    private final LocalRateLimiter localLimiter;
    private final GatewayConfig.RateLimits config;
    private final OutageWarning outage = new OutageWarning(Logger.getLogger(RateLimitFilter.class));

    public RateLimitFilter(RateLimiter limiter, LocalRateLimiter localLimiter, GatewayConfig config, RouteTable routes) {
        this.limiter = limiter;
        this.localLimiter = localLimiter;
        this.config = config.rateLimits();
        // a route naming a policy that does not exist fails the start, not its first request
        routes.all().forEach(route -> route.rateLimitPolicy().ifPresent(limiter::policy));
    }

    private boolean applies(RouteTable.Route route) {
        return config.enabled() && route.rateLimited();
    }

    /**
     * True when {@link #apply} checks the caller's token against the deny-list (in its own Redis call), so the
     * authentication step need not. Not on public routes, where a revoked token only makes the caller anonymous, nor
     * on admin routes, where a revoked token must be refused as revoked (401) before its roles are checked (403).
     */
    public boolean checksRevocation(RouteTable.Route route) {
        return applies(route) && route.auth() == GatewayConfig.Auth.AUTHENTICATED;
    }

    /**
     * Adds the RateLimit headers to {@code responseHeaders}; fails with a 429 (or 503) refusal when over, and with a
     * 401 when the deny-list revokes the caller's token (see {@link #checksRevocation}; when Redis cannot answer, the
     * token passes, as the deny-list lookup of the authentication step would let it).
     */
    public Uni<Void> apply(RouteTable.Route route, Identity identity, String clientIp, MultiMap responseHeaders) {
        if (!applies(route)) {
            return Uni.createFrom().voidItem();
        }
        String policyName = route.rateLimitPolicy().orElse(identity == null ? ANONYMOUS
                : limiter.hasPolicy(identity.tier()) ? identity.tier() : DEFAULT_TIER);
        RateLimiter.Policy policy = limiter.policy(policyName);
        String subject = identity == null ? "ip:" + clientIp : "user:" + identity.userId();
        GatewayConfig.FailureMode onFailure = route.onRedisFailure().orElse(config.onRedisFailure());
        return EventLoopDeadline.within(config.redisTimeout(),
                        limiter.acquire(policy, subject, checksRevocation(route) ? identity : null))
                .onFailure().recoverWithUni(e -> {
                    // the step's span: an operator sees why this request has no Redis call under it
                    Span.current().setAttribute("meridian.ratelimit.redis", "unavailable");
                    outage.warn("rate limiting unavailable (%s): failing %s", e, onFailure);
                    return switch (onFailure) {
                        case OPEN -> Uni.createFrom().nullItem();
                        case LOCAL -> Uni.createFrom().item(localLimiter.acquire(policy, subject));
                        case CLOSED -> Uni.createFrom().failure(new Refusal(503, "rate-limit-unavailable",
                                "Service Unavailable", "rate limiting is unavailable; retry shortly", 1));
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
