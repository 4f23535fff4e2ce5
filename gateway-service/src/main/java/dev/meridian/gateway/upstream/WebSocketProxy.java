package dev.meridian.gateway.upstream;

import dev.meridian.gateway.auth.EdgeTokenVerifier;
import dev.meridian.gateway.auth.EdgeTokenVerifier.Identity;
import dev.meridian.gateway.config.GatewayConfig;
import dev.meridian.gateway.pipeline.Exchange;
import dev.meridian.gateway.pipeline.Problems;
import dev.meridian.gateway.pipeline.Refusal;
import dev.meridian.gateway.pipeline.RouteTable;
import dev.meridian.gateway.ratelimit.RateLimitGuard;
import io.smallrye.stork.Stork;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.ext.web.RoutingContext;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.util.Locale;

/**
 * WebSocket pass-through: after the same authentication and rate limit as any request, the gateway opens a WebSocket
 * to the upstream (with the identity headers) and relays frames both ways ({@link WebSocketRelay}: every message
 * limited, the caller re-checked while the socket lives), text and binary kept apart, with no request timeout
 * cutting the connection. A close on either side closes the other.
 */
@Singleton
public class WebSocketProxy {

    private final Vertx vertx;
    private final WebSocketClient client;
    private final RateLimitGuard guard;
    private final EdgeTokenVerifier verifier;
    private final Duration revalidateEvery;

    public WebSocketProxy(Vertx vertx, RateLimitGuard guard, EdgeTokenVerifier verifier, GatewayConfig config) {
        this.vertx = vertx;
        this.client = vertx.createWebSocketClient();
        this.guard = guard;
        this.verifier = verifier;
        this.revalidateEvery = config.webSocket().revalidateInterval();
    }

    public static boolean isUpgrade(RoutingContext ctx) {
        String upgrade = ctx.request().getHeader("Upgrade");
        return upgrade != null && upgrade.toLowerCase(Locale.ROOT).contains("websocket");
    }

    public void forward(Exchange exchange) {
        forward(exchange, true);
    }

    /** Like plain requests, a connection that could not be opened is tried once on another instance. */
    private void forward(Exchange exchange, boolean mayRetry) {
        RoutingContext ctx = exchange.ctx();
        RouteTable.Route route = exchange.route();
        MultiMap headers = exchange.upstreamHeaders();
        Stork.getInstance().getService(route.upstream()).selectInstanceAndRecordStart(false).subscribe().with(
                instance -> {
                    String query = ctx.request().query();
                    WebSocketConnectOptions options = new WebSocketConnectOptions()
                            .setHost(instance.getHost())
                            .setPort(instance.getPort())
                            .setSsl(instance.isSecure())
                            .setURI(ctx.normalizedPath() + (query == null ? "" : "?" + query));
                    headers.forEach(header -> {
                        String name = header.getKey().toLowerCase(Locale.ROOT);
                        if (!name.startsWith("sec-websocket-") && !name.equals("upgrade") && !name.equals("connection")
                                && !name.equals("host")) {
                            options.addHeader(header.getKey(), header.getValue());
                        }
                    });
                    client.connect(options)
                            .onSuccess(upstream -> {
                                instance.recordEnd(null);
                                // hold what the upstream sends until the client side is there to receive it
                                upstream.pause();
                                ctx.request().toWebSocket()
                                        .onSuccess(downstream -> {
                                            relay(exchange, downstream, upstream);
                                        })
                                        .onFailure(e -> upstream.close());
                            })
                            .onFailure(e -> {
                                instance.recordEnd(e);
                                if (mayRetry) {
                                    forward(exchange, false);
                                    return;
                                }
                                Problems.refuse(ctx, new Refusal(502, "upstream-unavailable", "Bad Gateway",
                                        route.upstream() + " did not accept the WebSocket", 0));
                            });
                },
                e -> Problems.refuse(ctx, new Refusal(503, "upstream-unavailable", "Service Unavailable",
                        "no instance of " + route.upstream() + " is available", 0)));
    }

    private void relay(Exchange exchange, ServerWebSocket downstream, WebSocket upstream) {
        Identity identity = exchange.identity();
        RouteTable.Route route = exchange.route();
        new WebSocketRelay(vertx, downstream, upstream, guard, verifier, identity,
                guard.policyFor(route.rateLimitPolicy().orElse(null), identity),
                identity == null ? "ip:" + exchange.clientIp() : "user:" + identity.userId(),
                route.onRedisFailure().orElse(null)).start(revalidateEvery);
        upstream.resume();
    }
}
