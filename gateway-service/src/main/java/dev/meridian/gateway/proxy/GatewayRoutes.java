package dev.meridian.gateway.proxy;

import dev.meridian.gateway.filter.AuthenticationFilter;
import dev.meridian.gateway.filter.IdentityHeadersFilter;
import dev.meridian.gateway.filter.RateLimitFilter;
import dev.meridian.gateway.filter.Refusal;
import dev.meridian.gateway.service.RouteTable;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.smallrye.mutiny.Uni;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.function.Supplier;

/**
 * The gateway pipeline, one step per concern: route match, request id, authentication, rate limit, identity headers,
 * then the WebSocket proxy, the response cache (GET/HEAD on routes with a cache policy) or the plain proxy.
 * Registered after Quarkus' own endpoints (/q/health, /q/metrics, /q/openapi), which the gateway serves itself.
 */
@ApplicationScoped
public class GatewayRoutes {

    private final RouteTable routes;
    private final AuthenticationFilter authentication;
    private final RateLimitFilter rateLimits;
    private final IdentityHeadersFilter identityHeaders;
    private final UpstreamProxy proxy;
    private final WebSocketProxy webSockets;
    private final CachingProxy caching;
    private final Tracer tracer;
    private final RequestRecorder recorder;

    public GatewayRoutes(RouteTable routes, AuthenticationFilter authentication, RateLimitFilter rateLimits,
                         IdentityHeadersFilter identityHeaders, UpstreamProxy proxy, WebSocketProxy webSockets,
                         CachingProxy caching, OpenTelemetry openTelemetry, RequestRecorder recorder) {
        this.recorder = recorder;
        this.caching = caching;
        // the tracer itself, not a CDI proxy in front of it on every step of every request
        this.tracer = openTelemetry.getTracer("dev.meridian.gateway");
        this.routes = routes;
        this.authentication = authentication;
        this.rateLimits = rateLimits;
        this.identityHeaders = identityHeaders;
        this.proxy = proxy;
        this.webSockets = webSockets;
    }

    /**
     * Runs one step of the pipeline in its own span, current until the step ends (the request's steps run one after
     * the other), so the Redis and HTTP calls it makes (deny-list, JWKS, rate limit) show under it in the trace.
     */
    private <T> Uni<T> traced(String name, Supplier<Uni<T>> step) {
        return Uni.createFrom().emitter(emitter -> {
            Span span = tracer.spanBuilder(name).startSpan();
            Scope scope = span.makeCurrent();
            step.get().subscribe().with(item -> {
                scope.close();
                span.end();
                emitter.complete(item);
            }, failure -> {
                scope.close();
                span.setAttribute("meridian.refused", String.valueOf(failure.getMessage()));
                span.end();
                emitter.fail(failure);
            });
        });
    }

    void register(@Observes Router router) {
        router.route().order(Integer.MAX_VALUE - 1).handler(this::handle);
    }

    void handle(RoutingContext ctx) {
        if (ctx.normalizedPath().startsWith("/q/")) {
            ctx.next();
            return;
        }
        ctx.request().pause();
        String requestId = RequestIds.choose(ctx.request().getHeader(RequestIds.HEADER));
        ctx.put(RequestIds.KEY, requestId);
        ctx.response().putHeader(RequestIds.HEADER, requestId);
        recorder.track(ctx);
        if (ctx.request().isSSL()) {
            // only over TLS (quarkus.http.ssl.*): browsers ignore it on plain HTTP and it would lock out dev setups
            ctx.response().putHeader("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
        }

        RouteTable.Route route = routes.match(ctx.request().method().name(), ctx.normalizedPath()).orElse(null);
        if (route == null) {
            Problems.send(ctx, 404, "not-found", "Not Found", "no route for " + ctx.request().method() + " "
                    + ctx.normalizedPath());
            return;
        }
        ctx.put(RequestRecorder.ROUTE, route);
        // names the server span (http.route) after the route, not "/" of the catch-all handler
        ctx.request().routed(route.path());
        String clientIp = ctx.request().remoteAddress() == null ? "unknown" : ctx.request().remoteAddress().hostAddress();
        // where the route is rate-limited, the deny-list is read in the rate limiter's Redis call: one round trip
        boolean revocationInRateLimit = rateLimits.checksRevocation(route);
        traced("authenticate", () -> authentication.authenticate(route,
                ctx.request().getHeader(HttpHeaders.AUTHORIZATION), !revocationInRateLimit))
                .call(identity -> traced("rate limit",
                        () -> rateLimits.apply(route, identity, clientIp, ctx.response().headers())))
                .subscribe().with(
                identity -> {
                    if (identity != null) {
                        ctx.put(RequestRecorder.USER, identity.userId());
                    }
                    // one copy of the client's headers, as the upstream gets them
                    MultiMap headers = UpstreamProxy.upstreamHeaders(ctx.request(), ctx.request().headers());
                    identityHeaders.apply(headers, identity);
                    headers.set(RequestIds.HEADER, requestId);
                    if (WebSocketProxy.isUpgrade(ctx)) {
                        webSockets.forward(ctx, route, headers);
                    } else if (CachingProxy.applies(ctx, route)) {
                        caching.handle(ctx, route, identity, headers);
                    } else {
                        proxy.forward(ctx, route, headers);
                    }
                },
                failure -> {
                    if (failure instanceof Refusal refusal) {
                        if (refusal.status == 401) {
                            ctx.response().putHeader("WWW-Authenticate", AuthenticationFilter.CHALLENGE);
                        }
                        if (refusal.retryAfter > 0) {
                            ctx.response().putHeader("Retry-After", Long.toString(refusal.retryAfter));
                        }
                        Problems.send(ctx, refusal.status, refusal.slug, refusal.title, refusal.getMessage());
                    } else {
                        Problems.send(ctx, 500, "internal", "Internal Server Error", "the gateway failed");
                    }
                });
    }
}
