package dev.meridian.gateway.ratelimit;

import dev.meridian.gateway.auth.EdgeTokenVerifier.Identity;
import dev.meridian.gateway.config.GatewayConfig;
import dev.meridian.gateway.pipeline.Exchange;
import dev.meridian.gateway.pipeline.RouteTable;
import dev.meridian.gateway.pipeline.Step;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;

/**
 * Per-user (by tier) or per-client-address rate limits ({@link RateLimitGuard}). On a public route the per-address
 * limit always applies and a token adds its user's limit on top, so signing in never widens what one address may
 * send to sign-up and login. A route may name its own policy.
 */
@Singleton
public class RateLimitStep implements Step {

    private final RateLimitGuard guard;

    public RateLimitStep(RateLimitGuard guard, RateLimiter limiter, RouteTable routes) {
        this.guard = guard;
        // a route naming a policy that does not exist fails the start, not its first request
        routes.all().forEach(route -> route.rateLimitPolicy().ifPresent(limiter::policy));
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
        if (!guard.enabled() || !route.rateLimited()) {
            return NEXT;
        }
        Identity identity = exchange.identity();
        String routePolicy = route.rateLimitPolicy().orElse(null);
        GatewayConfig.FailureMode mode = route.onRedisFailure().orElse(null);
        var headers = exchange.ctx().response().headers();
        if (identity == null || route.auth() == GatewayConfig.Auth.PUBLIC) {
            Uni<RateLimiter.Decision> byAddress = guard.acquire(guard.policyFor(routePolicy, null),
                    "ip:" + exchange.clientIp(), null, mode);
            if (identity == null) {
                return byAddress.invoke(decision -> RateLimitGuard.enforce(decision, headers)).replaceWithVoid();
            }
            // a token adds its user's limit to the address's, and the tighter one is reported
            return byAddress.invoke(decision -> RateLimitGuard.enforce(decision, headers))
                    .flatMap(address -> guard.acquire(guard.policyFor(routePolicy, identity),
                            "user:" + identity.userId(), null, mode)
                            .invoke(user -> RateLimitGuard.enforce(RateLimitGuard.tighter(address, user), headers)))
                    .replaceWithVoid();
        }
        return guard.acquire(guard.policyFor(routePolicy, identity), "user:" + identity.userId(),
                        route.denyListInRateLimit() ? identity : null, mode)
                .invoke(decision -> RateLimitGuard.enforce(decision, headers))
                .replaceWithVoid();
    }
}
