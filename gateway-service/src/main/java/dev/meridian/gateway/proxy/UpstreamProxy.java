package dev.meridian.gateway.proxy;

import dev.meridian.gateway.service.RetryBudget;
import dev.meridian.gateway.service.RouteTable;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.smallrye.stork.Stork;
import io.smallrye.stork.api.ServiceInstance;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;

import java.net.ConnectException;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;

/**
 * Forwards a request to its route's upstream over pooled keep-alive connections, streaming both bodies. Hop-by-hop
 * headers are dropped both ways; X-Forwarded-For/Proto/Host and Forwarded are set. The instance comes from Stork
 * (least response time, which also steers away from instances that just failed); when the connection to one cannot be
 * opened, nothing was sent, so the request goes once to another instance whatever its method. Requests without a body
 * and with a safe method (GET, HEAD, OPTIONS) are also retried on 502/503/504, up to twice with jittered backoff,
 * within the upstream's retry budget.
 */
@ApplicationScoped
public class UpstreamProxy {

    /** RFC 9110 section 7.6.1, plus the pre-standard ones proxies still meet. */
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade");

    private static final Set<HttpMethod> SAFE = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS);
    private static final Set<Integer> RETRYABLE_STATUS = Set.of(502, 503, 504);
    private static final int MAX_RETRIES = 2;

    private final Vertx vertx;
    private final HttpClient client;
    private final RetryBudget budget;

    public UpstreamProxy(Vertx vertx, RetryBudget budget) {
        this.vertx = vertx;
        this.budget = budget;
        this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setConnectTimeout(2000)
                .setIdleTimeout(60), new PoolOptions().setHttp1MaxSize(64));
    }

    public void forward(RoutingContext ctx, RouteTable.Route route, MultiMap headers) {
        budget.onRequest(route.upstream());
        boolean replayable = SAFE.contains(ctx.request().method()) && !hasBody(ctx.request());
        if (replayable) {
            // nothing to stream: the request can be sent as often as needed
            ctx.request().resume();
        }
        forward(ctx, route, upstreamHeaders(ctx.request(), headers), true, replayable, replayable ? MAX_RETRIES : 0);
    }

    private static boolean hasBody(HttpServerRequest request) {
        String length = request.getHeader("Content-Length");
        return request.getHeader("Transfer-Encoding") != null || length != null && !length.trim().equals("0");
    }

    /**
     * @param mayRetry    the connection may be retried on another instance (nothing was sent yet)
     * @param replayable  the request has no body and a safe method, so it is sent without streaming the client's body
     * @param retriesLeft retries still allowed on 502/503/504 answers
     */
    private void forward(RoutingContext ctx, RouteTable.Route route, MultiMap headers, boolean mayRetry,
                         boolean replayable, int retriesLeft) {
        Stork.getInstance().getService(route.upstream()).selectInstanceAndRecordStart(true).subscribe().with(
                instance -> send(ctx, route, headers, instance, mayRetry, replayable, retriesLeft),
                e -> {
                    ctx.response().putHeader("Retry-After", "1");
                    Problems.send(ctx, 503, "upstream-unavailable", "Service Unavailable",
                            "no instance of " + route.upstream() + " is available");
                });
    }

    private void send(RoutingContext ctx, RouteTable.Route route, MultiMap headers, ServiceInstance instance,
                      boolean mayRetry, boolean replayable, int retriesLeft) {
        HttpServerRequest request = ctx.request();
        String query = request.query();
        RequestOptions options = new RequestOptions()
                .setMethod(request.method())
                .setHost(instance.getHost())
                .setPort(instance.getPort())
                .setSsl(instance.isSecure())
                .setURI(ctx.normalizedPath() + (query == null ? "" : "?" + query))
                .setTimeout(route.timeout().toMillis())
                .setHeaders(headers);
        client.request(options)
                .onFailure(e -> {
                    instance.recordEnd(e);
                    if (mayRetry) {
                        forward(ctx, route, headers, false, replayable, retriesLeft);
                    } else {
                        unavailable(ctx, route, e);
                    }
                })
                .onSuccess(upstream -> (replayable ? upstream.send() : upstream.send(request))
                        .onSuccess(response -> {
                            instance.recordReply();
                            if (retriesLeft > 0 && RETRYABLE_STATUS.contains(response.statusCode())
                                    && budget.tryRetry(route.upstream())) {
                                response.end().onComplete(done -> instance.recordEnd(
                                        new IllegalStateException("upstream answered " + response.statusCode())));
                                int attempt = MAX_RETRIES - retriesLeft;
                                long backoff = (long) ((25 << attempt) * (1 + ThreadLocalRandom.current().nextDouble()));
                                vertx.setTimer(backoff, id -> forward(ctx, route, headers, true, true, retriesLeft - 1));
                                return;
                            }
                            response.end().onComplete(done -> instance.recordEnd(done.cause()));
                            relay(response, ctx.response());
                        })
                        .onFailure(e -> {
                            instance.recordEnd(e);
                            unavailable(ctx, route, e);
                        }));
    }

    private static void unavailable(RoutingContext ctx, RouteTable.Route route, Throwable e) {
        if (e instanceof TimeoutException || e.getMessage() != null && e.getMessage().contains("timeout")) {
            Problems.send(ctx, 504, "upstream-timeout", "Gateway Timeout",
                    route.upstream() + " did not answer within " + route.timeout().toMillis() + " ms");
        } else {
            ctx.response().putHeader("Retry-After", "1");
            Problems.send(ctx, e instanceof ConnectException ? 503 : 502, "upstream-unavailable",
                    e instanceof ConnectException ? "Service Unavailable" : "Bad Gateway",
                    route.upstream() + " is unreachable");
        }
    }

    private static MultiMap upstreamHeaders(HttpServerRequest request, MultiMap headers) {
        MultiMap out = MultiMap.caseInsensitiveMultiMap();
        Set<String> connectionListed = connectionTokens(headers.get("Connection"));
        headers.forEach(header -> {
            String name = header.getKey().toLowerCase(Locale.ROOT);
            if (!HOP_BY_HOP.contains(name) && !connectionListed.contains(name) && !name.equals("host")) {
                out.add(header.getKey(), header.getValue());
            }
        });
        String clientIp = request.remoteAddress() == null ? "unknown" : request.remoteAddress().hostAddress();
        String previous = headers.get("X-Forwarded-For");
        String proto = request.scheme();
        String host = request.authority() == null ? "" : request.authority().toString();
        out.set("X-Forwarded-For", previous == null ? clientIp : previous + ", " + clientIp);
        out.set("X-Forwarded-Proto", proto);
        out.set("X-Forwarded-Host", host);
        out.set("Forwarded", "for=\"" + clientIp + "\";proto=" + proto + ";host=\"" + host + "\"");
        return out;
    }

    private static void relay(HttpClientResponse upstream, HttpServerResponse response) {
        response.setStatusCode(upstream.statusCode());
        response.setStatusMessage(upstream.statusMessage());
        Set<String> connectionListed = connectionTokens(upstream.headers().get("Connection"));
        for (String name : upstream.headers().names()) {
            String lower = name.toLowerCase(Locale.ROOT);
            if (!HOP_BY_HOP.contains(lower) && !connectionListed.contains(lower)) {
                // the upstream's value replaces a default the gateway set (security headers), multi-values kept
                response.headers().remove(name);
                response.headers().add(name, upstream.headers().getAll(name));
            }
        }
        if (upstream.headers().get("Content-Length") == null) {
            response.setChunked(true);
        }
        upstream.pipeTo(response);
    }

    private static Set<String> connectionTokens(String connection) {
        if (connection == null) {
            return Set.of();
        }
        Set<String> tokens = new java.util.HashSet<>();
        for (String token : connection.split(",")) {
            tokens.add(token.trim().toLowerCase(Locale.ROOT));
        }
        return tokens;
    }
}
