package dev.meridian.gateway.pipeline;

import dev.meridian.gateway.config.GatewayConfig;
import io.smallrye.stork.Stork;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Finds the route for a request: exact paths first, then the longest matching prefix. */
@Singleton
public class RouteTable {

    /**
     * @param cacheQuery          the query parameters a cached answer is kept by; a request with any other is not
     *                            cached (so nobody fills the cache by inventing queries)
     * @param denyListInRateLimit the rate-limit step reads the caller's deny-list entries in its own Redis call (one
     *                            round trip for both), so the authentication step does not. Not on public routes,
     *                            where a revoked token only makes the caller anonymous, nor on admin routes, where a
     *                            revoked token must be refused as revoked (401) before its roles are checked (403).
     */
    public record Route(String id, String path, boolean exact, List<String> methods, String upstream,
                        GatewayConfig.Auth auth, Duration timeout, boolean rateLimited, Optional<String> rateLimitPolicy,
                        Optional<GatewayConfig.FailureMode> onRedisFailure, int retries, boolean repeatable,
                        boolean cache, List<String> cacheQuery, boolean denyListInRateLimit) {

        boolean matches(String method, String requestPath) {
            if (!methods.isEmpty() && !methods.contains(method.toUpperCase(Locale.ROOT))) {
                return false;
            }
            if (exact || !requestPath.startsWith(path)) {
                return requestPath.equals(path);
            }
            // the prefix ends at a segment boundary: /v1/users matches /v1/users/me, not /v1/usersx
            return requestPath.length() == path.length() || path.endsWith("/")
                    || requestPath.charAt(path.length()) == '/';
        }
    }

    private final List<Route> routes;

    @Inject
    public RouteTable(GatewayConfig config) {
        this(config.routes().entrySet().stream().map(entry -> toRoute(entry, config.rateLimits().enabled())).toList());
        for (Route route : routes) {
            if (Stork.getInstance().getServiceOptional(route.upstream()).isEmpty()) {
                throw new IllegalStateException("route " + route.id() + " names upstream '" + route.upstream()
                        + "', which has no quarkus.stork." + route.upstream() + ".service-discovery config");
            }
        }
    }

    RouteTable(List<Route> routes) {
        this.routes = routes.stream().sorted(Comparator.comparing(Route::exact).reversed()
                        .thenComparing(Comparator.comparingInt((Route r) -> r.path().length()).reversed()))
                .toList();
    }

    private static Route toRoute(Map.Entry<String, GatewayConfig.Route> entry, boolean rateLimits) {
        GatewayConfig.Route r = entry.getValue();
        if (r.auth() == GatewayConfig.Auth.PUBLIC && !r.rateLimited()) {
            // anyone can call it, so it must be limited per client address (choose a generous policy instead)
            throw new IllegalStateException("route " + entry.getKey() + " is public and cannot set rate-limited=false;"
                    + " give it a rate-limit-policy instead");
        }
        return new Route(entry.getKey(), r.path(), r.exact(),
                r.methods().orElse(List.of()).stream().map(m -> m.toUpperCase(Locale.ROOT)).toList(),
                r.upstream(), r.auth(), r.timeout(), r.rateLimited(), r.rateLimitPolicy(), r.onRedisFailure(),
                r.retries(), r.repeatable(), r.cache(), r.cacheQuery().orElse(List.of()), rateLimits && r.rateLimited() && r.auth() == GatewayConfig.Auth.AUTHENTICATED);
    }

    public List<Route> all() {
        return routes;
    }

    public Optional<Route> match(String method, String path) {
        return routes.stream().filter(route -> route.matches(method, path)).findFirst();
    }
}
