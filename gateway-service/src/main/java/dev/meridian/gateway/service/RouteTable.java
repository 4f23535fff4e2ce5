package dev.meridian.gateway.service;

import dev.meridian.gateway.config.GatewayConfig;
import io.smallrye.stork.Stork;
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

    public record Route(String id, String path, boolean exact, List<String> methods, String upstream,
                        GatewayConfig.Auth auth, Duration timeout, boolean rateLimited, Optional<String> rateLimitPolicy,
                        Optional<GatewayConfig.FailureMode> onRedisFailure, int retries, boolean cache) {

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

    public RouteTable(GatewayConfig config) {
        this.routes = config.routes().entrySet().stream().map(RouteTable::toRoute)
                .sorted(Comparator.comparing(Route::exact).reversed()
                        .thenComparing(Comparator.comparingInt((Route r) -> r.path().length()).reversed()))
                .toList();
        for (Route route : routes) {
            if (Stork.getInstance().getServiceOptional(route.upstream()).isEmpty()) {
                throw new IllegalStateException("route " + route.id() + " names upstream '" + route.upstream()
                        + "', which has no quarkus.stork." + route.upstream() + ".service-discovery config");
            }
        }
    }

    private static Route toRoute(Map.Entry<String, GatewayConfig.Route> entry) {
        GatewayConfig.Route r = entry.getValue();
        return new Route(entry.getKey(), r.path(), r.exact(),
                r.methods().orElse(List.of()).stream().map(m -> m.toUpperCase(Locale.ROOT)).toList(),
                r.upstream(), r.auth(), r.timeout(), r.rateLimited(), r.rateLimitPolicy(), r.onRedisFailure(),
                r.retries(), r.cache());
    }

    public List<Route> all() {
        return routes;
    }

    public Optional<Route> match(String method, String path) {
        return routes.stream().filter(route -> route.matches(method, path)).findFirst();
    }
}
