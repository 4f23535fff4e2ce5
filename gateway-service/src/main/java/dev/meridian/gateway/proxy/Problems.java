package dev.meridian.gateway.proxy;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** RFC 9457 problem+json answers the gateway gives itself (no route, bad token, upstream down...). */
public final class Problems {

    private Problems() {
    }

    public static void send(RoutingContext ctx, int status, String slug, String title, String detail) {
        // a request the gateway paused (to authenticate first) is drained, so its connection stays usable
        ctx.request().resume();
        if (ctx.response().ended() || ctx.response().headWritten()) {
            ctx.response().reset();
            return;
        }
        JsonObject body = new JsonObject()
                .put("type", "https://meridian.dev/problems/" + slug)
                .put("title", title)
                .put("status", status)
                .put("detail", detail)
                .put("instance", ctx.normalizedPath());
        String requestId = ctx.get(RequestIds.KEY);
        if (requestId != null) {
            body.put("requestId", requestId);
        }
        // finds the request's trace in Zipkin or Jaeger
        SpanContext span = Span.current().getSpanContext();
        if (span.isValid()) {
            body.put("traceId", span.getTraceId());
        }
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/problem+json")
                .end(body.encode());
    }
}
