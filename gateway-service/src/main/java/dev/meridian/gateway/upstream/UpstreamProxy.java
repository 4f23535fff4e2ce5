package dev.meridian.gateway.upstream;

import dev.meridian.gateway.config.GatewayConfig;
import dev.meridian.gateway.pipeline.ClientAddresses;
import dev.meridian.gateway.pipeline.Exchange;
import dev.meridian.gateway.pipeline.Problems;
import dev.meridian.gateway.pipeline.Refusal;
import dev.meridian.gateway.pipeline.RouteTable;
import io.smallrye.mutiny.Uni;
import io.smallrye.stork.Stork;
import io.smallrye.stork.api.NoServiceInstanceFoundException;
import io.smallrye.stork.api.Service;
import io.smallrye.stork.api.ServiceInstance;
import io.vertx.core.MultiMap;
import io.vertx.core.VertxException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.RoutingContext;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.net.ConnectException;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;

/**
 * Forwards a request to its route's upstream over pooled keep-alive connections, streaming both bodies (small ones of
 * known length are read whole). Hop-by-hop headers are dropped both ways; X-Forwarded-For/Proto/Host and Forwarded
 * are set.
 * <p>
 * Instances come from Stork (least response time) minus those {@link InstanceHealth} holds out of rotation; with none
 * left the upstream is refused at once (503, as an open circuit breaker would). When a connection cannot be opened
 * nothing was sent, so the request goes once to another instance whatever its method. Requests that may be repeated
 * (idempotent methods, any method of a repeatable route or with an Idempotency-Key, with no body or one buffered up to
 * the replayable limit) are also retried, preferring another instance, on 502/503/504 and on a connection that failed
 * or was reset, with jittered backoff, within the route's retry count and the upstream's retry budget. Everything else
 * is sent once.
 */
@Singleton
public class UpstreamProxy {

    /** RFC 9110 section 7.6.1, plus the pre-standard ones proxies still meet. */
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade");

    private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
            HttpMethod.PUT, HttpMethod.DELETE);
    private static final Set<Integer> RETRYABLE_STATUS = Set.of(502, 503, 504);

    /**
     * What goes upstream: nothing, a buffered body (both replayable), or the client's body streamed (sent once).
     */
    public record Payload(Buffer body, boolean replayable) {
        public static final Payload NONE = new Payload(null, true);
        public static final Payload STREAMED = new Payload(null, false);
    }

    /** Every instance of the upstream is out of rotation. */
    static final class NoInstanceInRotation extends RuntimeException {
        final long retryAfterSeconds;

        NoInstanceInRotation(long retryAfterSeconds) {
            super("no instance in rotation", null, false, false);
            this.retryAfterSeconds = retryAfterSeconds;
        }
    }

    /** The upstream answered 502/503/504; its response, unread, is relayed if no retry is left. */
    public static final class UpstreamFailed extends RuntimeException {
        public final transient HttpClientResponse response;

        UpstreamFailed(HttpClientResponse response) {
            super("upstream answered " + response.statusCode(), null, false, false);
            this.response = response;
        }
    }

    private final Vertx vertx;
    private final HttpClient client;
    private final RetryBudget budget;
    private final InstanceHealth health;
    private final int replayableBodyLimit;
    private final long healthCheckMillis;

    public UpstreamProxy(Vertx vertx, RetryBudget budget, InstanceHealth health, GatewayConfig config) {
        this.vertx = vertx;
        this.budget = budget;
        this.health = health;
        this.replayableBodyLimit = config.resilience().replayableBodyLimit();
        this.healthCheckMillis = Math.max(1000, config.resilience().healthCheckInterval().toMillis());
        this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setConnectTimeout(2000)
                .setIdleTimeout(60), new PoolOptions().setHttp1MaxSize(64));
    }

    /**
     * Proxies the request with the exchange's upstream headers and relays the upstream's answer, or answers a problem
     * when there is none.
     */
    public void forward(Exchange exchange) {
        payload(exchange.ctx().request(), exchange.route())
                .flatMap(payload -> call(exchange, exchange.upstreamHeaders(), payload))
                .subscribe().with(response -> relay(response, exchange.ctx().response()), e -> fail(exchange, e));
    }

    /** The request with these (already forwarded) headers; the response comes paused, to be read or relayed. */
    public Uni<HttpClientResponse> call(Exchange exchange, MultiMap upstreamHeaders, Payload payload) {
        RouteTable.Route route = exchange.route();
        budget.onRequest(route.upstream());
        return call(exchange, upstreamHeaders, payload, payload.replayable() ? route.retries() : 0, new HashSet<>());
    }

    private Uni<Payload> payload(HttpServerRequest request, RouteTable.Route route) {
        boolean repeatable = route.repeatable() || IDEMPOTENT.contains(request.method())
                || request.getHeader("Idempotency-Key") != null;
        String length = request.getHeader("Content-Length");
        boolean hasBody = request.getHeader("Transfer-Encoding") != null || length != null && !length.trim().equals("0");
        if (repeatable && !hasBody) {
            // nothing to stream: the request can be sent as often as needed
            request.resume();
            return Uni.createFrom().item(Payload.NONE);
        }
        if (repeatable && length != null && parsesAtMost(length, replayableBodyLimit)) {
            Uni<Payload> buffered = Uni.createFrom().completionStage(request.body().toCompletionStage())
                    .map(body -> new Payload(body, true));
            request.resume();
            return buffered;
        }
        return Uni.createFrom().item(Payload.STREAMED);
    }

    private static boolean parsesAtMost(String length, long limit) {
        try {
            return Long.parseLong(length.trim()) <= limit;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** @param tried instances this request already went to: a retry prefers another one */
    private Uni<HttpClientResponse> call(Exchange exchange, MultiMap headers, Payload payload, int retriesLeft,
                                         Set<String> tried) {
        RouteTable.Route route = exchange.route();
        return attempt(exchange, headers, payload, true, tried)
                // the budget is spent only when a retry is about to happen
                .onFailure(e -> retriesLeft > 0 && retryable(e) && budget.tryRetry(route.upstream()))
                .recoverWithUni(e -> {
                    if (e instanceof UpstreamFailed failed) {
                        failed.response.resume();
                    }
                    int attempt = route.retries() - retriesLeft;
                    long backoff = (long) ((25L << Math.min(attempt, 6)) * (1 + ThreadLocalRandom.current().nextDouble()));
                    return Uni.createFrom().<Void>emitter(em -> vertx.setTimer(backoff, id -> em.complete(null)))
                            .flatMap(ignored -> call(exchange, headers, payload, retriesLeft - 1, tried));
                });
    }

    /**
     * Worth repeating: the upstream said it could not serve, or its connection failed (refused, closed, reset). A
     * timeout is not retried: the upstream may still be working on it.
     */
    private static boolean retryable(Throwable e) {
        return !timedOut(e) && (e instanceof UpstreamFailed || e instanceof AnswerCut || e instanceof IOException
                || e instanceof HttpClosedException || e instanceof VertxException);
    }

    private static boolean timedOut(Throwable e) {
        return e instanceof TimeoutException || e.getMessage() != null && e.getMessage().contains("timeout");
    }

    /** @param mayTryAnother an unreachable instance is replaced by another once (nothing was sent) */
    private Uni<HttpClientResponse> attempt(Exchange exchange, MultiMap headers, Payload payload,
                                            boolean mayTryAnother, Set<String> tried) {
        RoutingContext ctx = exchange.ctx();
        RouteTable.Route route = exchange.route();
        Service service = Stork.getInstance().getService(route.upstream());
        return service.getInstances()
                .map(all -> {
                    List<ServiceInstance> usable = health.usable(all, i -> healthKey(route, i));
                    if (usable.isEmpty()) {
                        long millis = health.millisUntilReturn(all.stream().map(i -> healthKey(route, i)).toList(),
                                healthCheckMillis);
                        throw new NoInstanceInRotation(Math.max(1, (millis + 999) / 1000));
                    }
                    List<ServiceInstance> untried = tried.isEmpty() ? usable
                            : usable.stream().filter(i -> !tried.contains(address(i))).toList();
                    ServiceInstance instance = service.selectInstanceAndRecordStart(
                            untried.isEmpty() ? usable : untried, true);
                    tried.add(address(instance));
                    exchange.upstreamAddress(address(instance));
                    return instance;
                })
                .flatMap(instance -> Uni.createFrom().<HttpClientResponse>emitter(em -> client.request(
                        options(ctx, route, headers, instance)).onComplete(opened -> {
                            if (opened.failed()) {
                                instance.recordEnd(opened.cause());
                                if (opened.cause() instanceof ConnectException) {
                                    health.unreachable(healthKey(route, instance));
                                } else {
                                    health.failed(healthKey(route, instance));
                                }
                                em.fail(new Unreachable(opened.cause()));
                                return;
                            }
                            var request = opened.result();
                            (payload.body() != null ? request.send(payload.body())
                                    : payload.replayable() ? request.send() : request.send(ctx.request()))
                                    .onComplete(answered -> {
                                        if (answered.failed()) {
                                            instance.recordEnd(answered.cause());
                                            health.failed(healthKey(route, instance));
                                            em.fail(answered.cause());
                                            return;
                                        }
                                        HttpClientResponse response = answered.result();
                                        // read or relayed later, by whoever gets it
                                        response.pause();
                                        instance.recordReply();
                                        boolean failed = RETRYABLE_STATUS.contains(response.statusCode());
                                        response.end().onComplete(done -> instance.recordEnd(failed
                                                ? new IllegalStateException("answered " + response.statusCode())
                                                : done.cause()));
                                        if (failed) {
                                            health.failed(healthKey(route, instance));
                                            em.fail(new UpstreamFailed(response));
                                        } else if (payload.replayable() && readWhole(response)) {
                                            // the answer counts once it is all here: cut midway (the instance
                                            // died), the request can still go to another one
                                            response.body().onComplete(body -> {
                                                if (body.succeeded()) {
                                                    health.succeeded(healthKey(route, instance));
                                                    em.complete(response);
                                                } else {
                                                    health.failed(healthKey(route, instance));
                                                    em.fail(new AnswerCut(body.cause()));
                                                }
                                            });
                                            response.resume();
                                        } else {
                                            health.succeeded(healthKey(route, instance));
                                            em.complete(response);
                                        }
                                    });
                        })))
                .onFailure(Unreachable.class).recoverWithUni(e -> mayTryAnother
                        ? attempt(exchange, headers, payload, false, tried)
                        : Uni.createFrom().failure(e.getCause()));
    }

    /** The upstream's answer stopped before its end (its connection closed or reset). */
    private static final class AnswerCut extends RuntimeException {
        AnswerCut(Throwable cause) {
            super(cause.getMessage(), cause, false, false);
        }
    }

    /** An answer small enough to be read whole before it is relayed (its length is known and within the limit). */
    private boolean readWhole(HttpClientResponse response) {
        String length = response.getHeader("Content-Length");
        return length != null && parsesAtMost(length, replayableBodyLimit);
    }

    /** Connecting failed: nothing reached the upstream. */
    private static final class Unreachable extends RuntimeException {
        Unreachable(Throwable cause) {
            super(cause.getMessage(), cause, false, false);
        }
    }

    private static RequestOptions options(RoutingContext ctx, RouteTable.Route route, MultiMap headers,
                                          ServiceInstance instance) {
        String query = ctx.request().query();
        return new RequestOptions()
                .setMethod(ctx.request().method())
                .setHost(instance.getHost())
                .setPort(instance.getPort())
                .setSsl(instance.isSecure())
                .setURI(ctx.normalizedPath() + (query == null ? "" : "?" + query))
                .setTimeout(route.timeout().toMillis())
                .setHeaders(headers);
    }

    private static String address(ServiceInstance instance) {
        return instance.getHost() + ":" + instance.getPort();
    }

    private static String healthKey(RouteTable.Route route, ServiceInstance instance) {
        return InstanceHealth.key(route.upstream(), address(instance));
    }

    /** The answer when the upstream call failed: its own 502/503/504 relayed when there is one, else a problem. */
    public void fail(Exchange exchange, Throwable e) {
        if (e instanceof UpstreamFailed failed) {
            relay(failed.response, exchange.ctx().response());
        } else {
            Problems.refuse(exchange.ctx(), refusal(e, exchange.route()));
        }
    }

    /**
     * 503 while no instance is in rotation or none is reachable, 504 on a timeout, else 502; Retry-After when known.
     */
    static Refusal refusal(Throwable e, RouteTable.Route route) {
        if (e instanceof NoInstanceInRotation none) {
            return new Refusal(503, "upstream-circuit-open", "Service Unavailable", "every instance of "
                    + route.upstream() + " is failing or not ready; retry in " + none.retryAfterSeconds + " s",
                    none.retryAfterSeconds);
        }
        if (timedOut(e)) {
            return new Refusal(504, "upstream-timeout", "Gateway Timeout",
                    route.upstream() + " did not answer within " + route.timeout().toMillis() + " ms", 0);
        }
        if (e instanceof ConnectException || e instanceof NoServiceInstanceFoundException) {
            return new Refusal(503, "upstream-unavailable", "Service Unavailable",
                    "no instance of " + route.upstream() + " is reachable", 1);
        }
        return new Refusal(502, "upstream-unavailable", "Bad Gateway", route.upstream() + " failed to answer", 1);
    }

    /** The client's headers minus hop-by-hop ones, with the forwarding headers set. */
    public static MultiMap upstreamHeaders(Exchange exchange) {
        HttpServerRequest request = exchange.ctx().request();
        MultiMap headers = request.headers();
        MultiMap out = MultiMap.caseInsensitiveMultiMap();
        Set<String> connectionListed = connectionTokens(headers.get("Connection"));
        headers.forEach(header -> {
            String name = header.getKey().toLowerCase(Locale.ROOT);
            if (!HOP_BY_HOP.contains(name) && !connectionListed.contains(name) && !name.equals("host")) {
                out.add(header.getKey(), header.getValue());
            }
        });
        String clientIp = exchange.clientIp();
        String peer = ClientAddresses.peer(request);
        // a chain only a trusted proxy vouches for is passed on; anyone else's is replaced by what the gateway saw
        String previous = exchange.viaTrustedProxy() ? headers.get("X-Forwarded-For") : null;
        String proto = request.scheme();
        String host = request.authority() == null ? "" : request.authority().toString();
        out.set("X-Forwarded-For", previous == null ? peer : previous + ", " + peer);
        out.set("X-Forwarded-Proto", proto);
        out.set("X-Forwarded-Host", host);
        out.set("Forwarded", "for=\"" + clientIp + "\";proto=" + proto + ";host=\"" + host + "\"");
        return out;
    }

    /**
     * Status, end-to-end headers (the upstream's replace the gateway's defaults) and the body: read whole when it is
     * small, else streamed. An answer cut midway resets the client's request (HTTP/1.1: its connection) rather than
     * ending it as if complete, or leaving it waiting.
     */
    public void relay(HttpClientResponse upstream, HttpServerResponse response) {
        response.setStatusCode(upstream.statusCode());
        response.setStatusMessage(upstream.statusMessage());
        copyEndToEndHeaders(upstream.headers(), response.headers());
        if (readWhole(upstream)) {
            upstream.body().onComplete(body -> {
                if (body.succeeded()) {
                    response.end(body.result());
                } else {
                    response.reset();
                }
            });
            upstream.resume();
            return;
        }
        if (upstream.headers().get("Content-Length") == null) {
            response.setChunked(true);
        }
        upstream.pipe().endOnFailure(false).to(response).onFailure(e -> response.reset());
    }

    public static void copyEndToEndHeaders(MultiMap from, MultiMap to) {
        Set<String> connectionListed = connectionTokens(from.get("Connection"));
        for (String name : from.names()) {
            String lower = name.toLowerCase(Locale.ROOT);
            if (!HOP_BY_HOP.contains(lower) && !connectionListed.contains(lower)) {
                // the upstream's value replaces a default the gateway set (security headers), multi-values kept
                to.remove(name);
                to.add(name, from.getAll(name));
            }
        }
    }

    private static Set<String> connectionTokens(String connection) {
        if (connection == null) {
            return Set.of();
        }
        Set<String> tokens = new HashSet<>();
        for (String token : connection.split(",")) {
            tokens.add(token.trim().toLowerCase(Locale.ROOT));
        }
        return tokens;
    }
}
