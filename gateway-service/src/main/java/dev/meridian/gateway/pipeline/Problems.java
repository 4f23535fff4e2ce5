package dev.meridian.gateway.pipeline;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * RFC 9457 problem+json answers the gateway gives itself (no route, bad token, over the limit, upstream down...):
 * every one of them is a {@link Refusal}, answered here.
 */
public final class Problems {

    /** The WWW-Authenticate challenge of every 401. */
    public static final String CHALLENGE = "Bearer realm=\"meridian\"";

    private static final Refusal INTERNAL = new Refusal(500, "internal", "Internal Server Error",
            "the gateway failed", 0);

    private Problems() {
    }

    /** Answers the client with {@code failure}, a refusal; any other failure is the gateway's own (500). */
    public static void refuse(RoutingContext ctx, Throwable failure) {
        Refusal refusal = failure instanceof Refusal r ? r : INTERNAL;
        // a request the gateway paused (to authenticate first) is drained, so its connection stays usable; one whose
        // body was read (buffered to be repeatable) has nothing left, and HTTP/2 refuses to resume it
        if (!ctx.request().isEnded()) {
            ctx.request().resume();
        }
        if (ctx.response().ended() || ctx.response().headWritten()) {
            ctx.response().reset();
            return;
        }
        Exchange exchange = Exchange.of(ctx);
        SpanContext span = Span.current().getSpanContext();
        headers(refusal).forEach(ctx.response()::putHeader);
        ctx.response().setStatusCode(refusal.status).putHeader("Content-Type", "application/problem+json")
                .end(body(refusal, ctx.normalizedPath(), exchange == null ? null : exchange.requestId(),
                        span.isValid() ? span.getTraceId() : null).encode());
    }

    /** The headers a refusal's answer carries besides its body's. */
    static Map<String, String> headers(Refusal refusal) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (refusal.status == 401) {
            headers.put("WWW-Authenticate", CHALLENGE);
        }
        if (refusal.retryAfter > 0) {
            headers.put("Retry-After", Long.toString(refusal.retryAfter));
        }
        return headers;
    }

    /** @param traceId finds the request's trace in Zipkin or Jaeger */
    static JsonObject body(Refusal refusal, String instance, String requestId, String traceId) {
        JsonObject body = new JsonObject()
                .put("type", "https://meridian.dev/problems/" + refusal.slug)
                .put("title", refusal.title)
                .put("status", refusal.status)
                .put("detail", refusal.getMessage())
                .put("instance", instance);
        if (requestId != null) {
            body.put("requestId", requestId);
        }
        if (traceId != null) {
            body.put("traceId", traceId);
        }
        return body;
    }
}
