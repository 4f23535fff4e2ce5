package dev.meridian.gateway.proxy;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.jboss.logging.Logger;

/**
 * One line per request at the edge, in category {@code dev.meridian.gateway.access}: method, path, route, status,
 * duration, bytes sent, upstream instance, cache and rate-limit outcome, user id and request id. Never the query
 * string, headers or bodies, which can carry secrets.
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
        ctx.addEndHandler(done -> {
            if (!LOG.isInfoEnabled()) {
                return;
            }
            HttpServerResponse response = ctx.response();
            String rateLimit = response.getStatusCode() == 429 ? "limited"
                    : response.headers().contains("RateLimit") ? "allowed" : "none";
            LOG.infof("%s %s route=%s status=%d ms=%.1f bytes=%d upstream=%s cache=%s ratelimit=%s user=%s request=%s",
                    ctx.request().method(), ctx.normalizedPath(), value(ctx.get(ROUTE)), response.getStatusCode(),
                    (System.nanoTime() - start) / 1e6, response.bytesWritten(), value(ctx.get(UPSTREAM)),
                    value(response.headers().get(CachingProxy.X_CACHE)), rateLimit, value(ctx.get(USER)),
                    ctx.get(RequestIds.KEY));
        });
    }

    private static String value(Object value) {
        return value == null ? "-" : value.toString();
    }
}
