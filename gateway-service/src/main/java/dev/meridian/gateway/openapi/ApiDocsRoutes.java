package dev.meridian.gateway.openapi;

import dev.meridian.gateway.pipeline.Problems;
import dev.meridian.gateway.pipeline.Refusal;
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
                e -> Problems.refuse(ctx, new Refusal(502, "upstream-unavailable", "Bad Gateway",
                        "the API description failed", 0))));
    }
}
