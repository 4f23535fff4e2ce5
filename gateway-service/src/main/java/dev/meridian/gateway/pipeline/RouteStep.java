package dev.meridian.gateway.pipeline;

import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Singleton;

/** Finds the request's route; a request no route takes is a 404. */
@Singleton
public class RouteStep implements Step {

    private final RouteTable routes;

    public RouteStep(RouteTable routes) {
        this.routes = routes;
    }

    @Override
    public Uni<Void> apply(Exchange exchange) {
        HttpServerRequest request = exchange.ctx().request();
        String path = exchange.ctx().normalizedPath();
        RouteTable.Route route = routes.match(request.method().name(), path).orElse(null);
        if (route == null) {
            return Uni.createFrom().failure(new Refusal(404, "not-found", "Not Found",
                    "no route for " + request.method() + " " + path, 0));
        }
        exchange.route(route);
        // names the server span (http.route) after the route, not "/" of the catch-all handler
        request.routed(route.path());
        return NEXT;
    }
}
