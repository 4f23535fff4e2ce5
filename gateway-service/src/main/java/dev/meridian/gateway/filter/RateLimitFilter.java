package dev.meridian.gateway.filter;

import dev.meridian.gateway.config.GatewayConfig;
import dev.meridian.gateway.service.EdgeTokenVerifier.Identity;
import dev.meridian.gateway.service.RateLimiter;
import dev.meridian.gateway.service.RouteTable;
import io.smallrye.mutiny.Uni;
import io.vertx.core.MultiMap;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Per-user (by tier) or per-client-IP (anonymous) rate limits with IETF draft RateLimit headers; 429 with
 * Retry-After when over. When Redis cannot answer within its timeout the configured failure mode decides.
 */
@ApplicationScoped
public class RateLimitFilter {

    public static final String ANONYMOUS = "anonymous";
    public static final String DEFAULT_TIER = "free";
    private static final Logger LOG = Logger.getLogger(RateLimitFilter.class);

    private final RateLimiter limiter;
    private final GatewayConfig.RateLimits config;

    public RateLimitFilter(RateLimiter limiter, GatewayConfig config) {
        this.limiter = limiter;
        this.config = config.rateLimits();
    }

    /** Adds the RateLimit headers to {@code responseHeaders}; fails with a 429 (or 503) refusal when over. */
    public Uni<Void> apply(RouteTable.Route route, Identity identity, String clientIp, MultiMap responseHeaders) {
        if (!config.enabled() || !route.rateLimited()) {
            return Uni.createFrom().voidItem();
        }
        String policyName = identity == null ? ANONYMOUS
                : limiter.hasPolicy(identity.tier()) ? identity.tier() : DEFAULT_TIER;
        RateLimiter.Policy policy = limiter.policy(policyName);
        String subject = identity == null ? "ip:" + clientIp : "user:" + identity.userId();
        return limiter.acquire(policy, subject)
                .ifNoItem().after(config.redisTimeout()).fail()
                .onFailure().recoverWithUni(e -> {
                    LOG.warnf("rate limiting unavailable (%s): failing %s", e.toString(), config.onRedisFailure());
                    return config.onRedisFailure() == GatewayConfig.FailureMode.OPEN ? Uni.createFrom().nullItem()
                            : Uni.createFrom().failure(new Refusal(503, "rate-limit-unavailable",
                                    "Service Unavailable", "rate limiting is unavailable; retry shortly", 1));
                })
                .invoke(decision -> {
                    if (decision == null) {
                        return;
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
