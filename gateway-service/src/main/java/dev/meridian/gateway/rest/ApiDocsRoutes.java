package dev.meridian.gateway.rest;

import dev.meridian.gateway.proxy.Problems;
import dev.meridian.gateway.service.OpenApiAggregator;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/** {@code GET /openapi}: the aggregated OpenAPI document, which Swagger UI at /q/swagger-ui shows. Public. */
@ApplicationScoped
public class ApiDocsRoutes {

    private final OpenApiAggregator aggregator;

    public ApiDocsRoutes(OpenApiAggregator aggregator) {
        this.aggregator = aggregator;
    }

    void register(@Observes Router router) {
        router.get("/openapi").handler(ctx -> aggregator.document().subscribe().with(
                document -> ctx.response().putHeader("Content-Type", "application/json").end(document.encode()),
                e -> Problems.send(ctx, 502, "upstream-unavailable", "Bad Gateway", "the API description failed")));
    }
}
