package dev.meridian.gateway.pipeline;

import dev.meridian.gateway.cache.CachingProxy;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.Span;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What the edge records about each request:
 * <ul>
 * <li>an access log line in category {@code dev.meridian.gateway.access}: method, path, route, status, duration,
 * bytes sent, upstream instance, cache and rate-limit outcome, user id and request id (never the query string,
 * headers or bodies, which can carry secrets);</li>
 * <li>RED metrics per route: {@code meridian.gateway.requests} (a timer with a histogram, tagged route, method,
 * status class, cache and rate-limit outcome);</li>
 * <li>the same facts as attributes on the request's server span.</li>
 * </ul>
 */
@Singleton
public class RequestRecorder {

    private static final Logger LOG = Logger.getLogger("dev.meridian.gateway.access");

    private final MeterRegistry meters;
    private final Map<TimerKey, Timer> timers = new ConcurrentHashMap<>();

    public RequestRecorder(MeterRegistry meters) {
        this.meters = meters;
    }

    void track(Exchange exchange) {
        RoutingContext ctx = exchange.ctx();
        long start = System.nanoTime();
        Span span = Span.current();
        ctx.addHeadersEndHandler(ignored -> {
            if (span.isRecording()) {
                RouteTable.Route route = exchange.route();
                if (route != null) {
                    // Quarkus names the span after the Vert.x route (the gateway's catch-all) when it ends
                    span.setAttribute("meridian.route", route.id());
                }
                span.setAttribute("meridian.ratelimit", rateLimit(ctx.response()));
                setIfPresent(span, "meridian.cache", ctx.response().headers().get(CachingProxy.X_CACHE));
                setIfPresent(span, "meridian.upstream", exchange.upstreamAddress());
                setIfPresent(span, "enduser.id", userId(exchange));
            }
        });
        ctx.addEndHandler(done -> {
            long nanos = System.nanoTime() - start;
            HttpServerResponse response = ctx.response();
            RouteTable.Route route = exchange.route();
            TimerKey key = new TimerKey(route == null ? "none" : route.id(), method(ctx.request().method().name()),
                    statusClass(response.getStatusCode()), cacheOutcome(response.headers().get(CachingProxy.X_CACHE)),
                    rateLimit(response));
            timers.computeIfAbsent(key, this::timer)
                    .record(nanos, TimeUnit.NANOSECONDS);
            if (!LOG.isInfoEnabled()) {
                return;
            }
            LOG.infof("%s %s route=%s status=%d ms=%.1f bytes=%d upstream=%s cache=%s ratelimit=%s user=%s request=%s",
                    ctx.request().method(), ctx.normalizedPath(), route == null ? "-" : route.id(),
                    response.getStatusCode(),
                    nanos / 1e6, response.bytesWritten(), value(exchange.upstreamAddress()),
                    value(response.headers().get(CachingProxy.X_CACHE)), rateLimit(response), value(userId(exchange)),
                    exchange.requestId());
        });
    }

    /**
     * Looked up here, not in the registry: building a meter id per request costs more than recording. Every tag comes
     * from a closed set (route ids, known methods, status classes, outcomes), so no client can add series.
     */
    private record TimerKey(String route, String method, String status, String cache, String rateLimit) {
    }

    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
    private static final Set<String> CACHE_OUTCOMES = Set.of("HIT", "MISS", "STALE", "BYPASS");

    private static String method(String name) {
        return METHODS.contains(name) ? name : "other";
    }

    private static String statusClass(int status) {
        return status >= 100 && status < 600 ? status / 100 + "xx" : "other";
    }

    /** X-Cache as the gateway set it; an upstream's own X-Cache (any text) is not an outcome of ours. */
    private static String cacheOutcome(String header) {
        return header != null && CACHE_OUTCOMES.contains(header) ? header : "-";
    }

    private Timer timer(TimerKey key) {
        return Timer.builder("meridian.gateway.requests").description("requests at the edge, by route and outcome")
                .publishPercentileHistogram()
                .tag("route", key.route())
                .tag("method", key.method())
                .tag("status", key.status())
                .tag("cache", key.cache())
                .tag("ratelimit", key.rateLimit())
                .register(meters);
    }

    private static String rateLimit(HttpServerResponse response) {
        return response.getStatusCode() == 429 ? "limited" : response.headers().contains("RateLimit") ? "allowed" : "none";
    }

    private static String userId(Exchange exchange) {
        return exchange.identity() == null ? null : exchange.identity().userId();
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
