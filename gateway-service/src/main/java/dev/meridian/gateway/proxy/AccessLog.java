package dev.meridian.gateway.proxy;

import dev.meridian.gateway.service.RouteTable;
import io.opentelemetry.api.trace.Span;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.jboss.logging.Logger;

/**
 * One line per request at the edge, in category {@code dev.meridian.gateway.access}: method, path, route, status,
 * duration, bytes sent, upstream instance, cache and rate-limit outcome, user id and request id. Never the query
 * string, headers or bodies, which can carry secrets. The same facts go on the request's server span as attributes,
 * so a trace shows them too.
 */
public final class AccessLog {

    static final String ROUTE = "meridian.access.route";
    static final String USER = "meridian.access.user";
    static final String UPSTREAM = "meridian.access.upstream";
    private static final Logger LOG = Logger.getLogger("dev.meridian.gateway.access");

    private AccessLog() {
    }

    static void track(RoutingContext ctx) {
        long start = System.nanoTime();
        Span span = Span.current();
        ctx.addHeadersEndHandler(ignored -> {
            if (span.isRecording()) {
                RouteTable.Route route = ctx.get(ROUTE);
                if (route != null) {
                    // Quarkus names the span after the Vert.x route (the gateway's catch-all) when it ends
                    span.setAttribute("meridian.route", route.id());
                }
                span.setAttribute("meridian.ratelimit", rateLimit(ctx.response()));
                setIfPresent(span, "meridian.cache", ctx.response().headers().get(CachingProxy.X_CACHE));
                setIfPresent(span, "meridian.upstream", ctx.get(UPSTREAM));
                setIfPresent(span, "enduser.id", ctx.get(USER));
            }
        });
        ctx.addEndHandler(done -> {
            if (!LOG.isInfoEnabled()) {
                return;
            }
            HttpServerResponse response = ctx.response();
            RouteTable.Route route = ctx.get(ROUTE);
            LOG.infof("%s %s route=%s status=%d ms=%.1f bytes=%d upstream=%s cache=%s ratelimit=%s user=%s request=%s",
                    ctx.request().method(), ctx.normalizedPath(), route == null ? "-" : route.id(),
                    response.getStatusCode(),
                    (System.nanoTime() - start) / 1e6, response.bytesWritten(), value(ctx.get(UPSTREAM)),
                    value(response.headers().get(CachingProxy.X_CACHE)), rateLimit(response), value(ctx.get(USER)),
                    ctx.get(RequestIds.KEY));
        });
    }

    private static String rateLimit(HttpServerResponse response) {
        return response.getStatusCode() == 429 ? "limited" : response.headers().contains("RateLimit") ? "allowed" : "none";
    }

    private static void setIfPresent(Span span, String attribute, Object value) {
        if (value != null) {
            span.setAttribute(attribute, value.toString());
        }
    }

    private static String value(Object value) {
        return value == null ? "-" : value.toString();
    }
}
