package dev.meridian.gateway.cache;

import dev.meridian.gateway.config.GatewayConfig;
import dev.meridian.gateway.pipeline.Exchange;
import dev.meridian.gateway.pipeline.Problems;
import dev.meridian.gateway.pipeline.Refusal;
import dev.meridian.gateway.upstream.UpstreamProxy;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import jakarta.inject.Singleton;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * GET and HEAD on routes with a cache policy: answers from the {@link ResponseCache} while fresh ({@code X-Cache:
 * HIT}), a 304 when the client's If-None-Match matches, the stale copy when the upstream fails within the
 * stale-if-error window ({@code STALE}); otherwise fetches ({@code MISS}). Concurrent misses for one key share one
 * upstream call. A client's {@code Cache-Control: no-cache} skips the lookup (the fresh answer is stored).
 */
@Singleton
public class CachingProxy {

    public static final String X_CACHE = "X-Cache";

    /** What one upstream call gave: a stored entry (shareable) or an answer only its own request can relay. */
    private record Outcome(CachedResponse entry, HttpClientResponse passThrough) {
    }

    private final ResponseCache cache;
    private final UpstreamProxy proxy;
    private final GatewayConfig.Cache config;
    private final Map<String, Uni<Outcome>> inFlight = new ConcurrentHashMap<>();

    public CachingProxy(ResponseCache cache, UpstreamProxy proxy, GatewayConfig config) {
        this.cache = cache;
        this.proxy = proxy;
        this.config = config.cache();
    }

    public static boolean applies(Exchange exchange) {
        HttpMethod method = exchange.ctx().request().method();
        return exchange.route().cache() && (method == HttpMethod.GET || method == HttpMethod.HEAD);
    }

    public void handle(Exchange exchange) {
        RoutingContext ctx = exchange.ctx();
        ctx.request().resume();
        String query = cacheableQuery(ctx.request().query(), exchange.route().cacheQuery());
        if (query == null) {
            ctx.response().putHeader(X_CACHE, "BYPASS");
            proxy.forward(exchange);
            return;
        }
        String base = ctx.normalizedPath() + query;
        String user = exchange.identity() == null ? null : exchange.identity().userId();
        boolean revalidate = CacheControl.parse(ctx.request().getHeader("Cache-Control")).noCache();
        cache.variants(base).flatMap(variants -> {
            if (variants == null || revalidate) {
                return Uni.createFrom().item(new Lookup(null, null));
            }
            String key = ResponseCache.key(base, variants, ctx.request()::getHeader, user);
            return cache.get(key).map(entry -> new Lookup(key,
                    entry != null && entry.visibleTo(user) ? entry : null));
        }).subscribe().with(lookup -> {
            long now = System.currentTimeMillis();
            if (lookup.entry != null && lookup.entry.fresh(now)) {
                serve(ctx, lookup.entry, "HIT");
            } else if (ctx.request().method() == HttpMethod.HEAD) {
                // a HEAD cannot fill the cache: it goes through as it is
                ctx.response().putHeader(X_CACHE, "MISS");
                proxy.forward(exchange);
            } else {
                fetch(exchange, base, user, lookup);
            }
        }, e -> proxy.fail(exchange, e));
    }

    /**
     * The query part of a cache key: the declared parameters in a fixed order ("" for none, "?a=1&b=2" otherwise),
     * or null when the request has a parameter the route did not declare, which is then not cached.
     */
    static String cacheableQuery(String query, List<String> declared) {
        if (query == null || query.isEmpty()) {
            return "";
        }
        List<String> pairs = new ArrayList<>();
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int equals = pair.indexOf('=');
            if (!declared.contains(equals < 0 ? pair : pair.substring(0, equals))) {
                return null;
            }
            pairs.add(pair);
        }
        // stable: one parameter's values keep their order, which may matter to the upstream
        pairs.sort(Comparator.comparing(pair -> pair.indexOf('=') < 0 ? pair : pair.substring(0, pair.indexOf('='))));
        return pairs.isEmpty() ? "" : "?" + String.join("&", pairs);
    }

    /** The key when the path's variants are known, and the stored answer this caller may see, if any. */
    private record Lookup(String key, CachedResponse entry) {
    }

    private void fetch(Exchange exchange, String base, String user, Lookup lookup) {
        RoutingContext ctx = exchange.ctx();
        // without known variants, only requests of the same user are sure to want the same answer
        String flightKey = lookup.key != null ? lookup.key : base + "#?" + user;
        boolean[] created = {false};
        Uni<Outcome> flight = inFlight.computeIfAbsent(flightKey, k -> {
            created[0] = true;
            AtomicReference<Uni<Outcome>> self = new AtomicReference<>();
            // removes only this flight: a newer one under the same key must stay findable
            self.set(orStored(ctx, base, user, () -> call(exchange, base, user))
                    .onTermination().invoke(() -> inFlight.remove(k, self.get())).memoize().indefinitely());
            return self.get();
        });
        boolean leader = created[0];
        // waiters are answered on their own connection's event loop
        Context context = Vertx.currentContext();
        (leader ? flight : flight.emitOn(task -> context.runOnContext(v -> task.run()))).subscribe().with(outcome -> {
            if (leader) {
                answerMiss(ctx, outcome);
            } else if (outcome.entry != null && outcome.entry.visibleTo(user)
                    && sameVariant(ctx, base, user, outcome.entry)) {
                serve(ctx, outcome.entry, "HIT");
            } else {
                // the leader's answer is not for this request (not stored, or another variant): ask for our own
                orStored(ctx, base, user, () -> call(exchange, base, user)).subscribe().with(
                        own -> answerMiss(ctx, own), e -> failed(exchange, lookup, e, true));
            }
        }, e -> failed(exchange, lookup, e, leader));
    }

    /** A flight that just ended may have stored the answer after this request looked: then no upstream call. */
    private Uni<Outcome> orStored(RoutingContext ctx, String base, String user, Supplier<Uni<Outcome>> call) {
        CachedResponse stored = cache.localFresh(base, ctx.request()::getHeader, user);
        return stored != null ? Uni.createFrom().item(new Outcome(stored, null)) : call.get();
    }

    /** This request's own upstream answer: from the stored entry, or relayed as it streams when it was not stored. */
    private void answerMiss(RoutingContext ctx, Outcome outcome) {
        if (outcome.entry != null) {
            serve(ctx, outcome.entry, "MISS");
        } else {
            ctx.response().putHeader(X_CACHE, "MISS");
            proxy.relay(outcome.passThrough, ctx.response());
        }
    }

    /** The headers the answer varies on (and the user, for a per-user answer) are this request's too. */
    private static boolean sameVariant(RoutingContext ctx, String base, String user, CachedResponse entry) {
        var variants = new ResponseCache.Variants(varyNames(entry.headers()), entry.user() != null);
        return ResponseCache.key(base, variants, ctx.request()::getHeader, user).equals(entry.key());
    }

    private Uni<Outcome> call(Exchange exchange, String base, String user) {
        RoutingContext ctx = exchange.ctx();
        MultiMap upstreamHeaders = MultiMap.caseInsensitiveMultiMap().addAll(exchange.upstreamHeaders());
        // the cache needs the full answer, not the client's 304
        upstreamHeaders.remove("If-None-Match");
        upstreamHeaders.remove("If-Modified-Since");
        return proxy.call(exchange, upstreamHeaders, UpstreamProxy.Payload.NONE).flatMap(response -> {
            Optional<CacheAdmission.Admission> admission = CacheAdmission.admit(response.statusCode(),
                    response.headers(), user != null, config.maxTtl(), config.staleIfError());
            String length = response.getHeader("Content-Length");
            if (admission.isEmpty() || length == null || !fits(length)) {
                return Uni.createFrom().item(new Outcome(null, response));
            }
            Uni<Buffer> body = Uni.createFrom().completionStage(response.body().toCompletionStage());
            response.resume();
            return body.map(bytes -> {
                long now = System.currentTimeMillis();
                CacheAdmission.Admission a = admission.get();
                List<String> vary = varyNames(CachedResponse.copy(response.headers()));
                ResponseCache.Variants variants = new ResponseCache.Variants(vary, a.perUser());
                String key = ResponseCache.key(base, variants, ctx.request()::getHeader, user);
                MultiMap kept = MultiMap.caseInsensitiveMultiMap();
                UpstreamProxy.copyEndToEndHeaders(response.headers(), kept);
                CachedResponse entry = new CachedResponse(response.statusCode(), CachedResponse.copy(kept),
                        bytes.getBytes(), now, now + a.freshMillis(), now + a.freshMillis() + a.staleIfErrorMillis(),
                        a.perUser() ? user : null, key);
                cache.put(base, variants, key, entry);
                return new Outcome(entry, null);
            });
        });
    }

    private boolean fits(String length) {
        try {
            return Long.parseLong(length.trim()) <= config.maxBodySize();
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static List<String> varyNames(List<Map.Entry<String, String>> headers) {
        return headers.stream().filter(h -> h.getKey().equalsIgnoreCase("Vary"))
                .flatMap(h -> Arrays.stream(h.getValue().split(","))).map(String::trim)
                .filter(name -> !name.isEmpty()).map(name -> name.toLowerCase(java.util.Locale.ROOT))
                .distinct().sorted().toList();
    }

    /** The upstream failed: the stale copy if one may still be served, else the usual error. */
    private void failed(Exchange exchange, Lookup lookup, Throwable e, boolean mayRelay) {
        RoutingContext ctx = exchange.ctx();
        if (lookup.entry != null && lookup.entry.servableOnError(System.currentTimeMillis())) {
            if (e instanceof UpstreamProxy.UpstreamFailed failed) {
                failed.response.resume();
            }
            serve(ctx, lookup.entry, "STALE");
        } else if (mayRelay || !(e instanceof UpstreamProxy.UpstreamFailed)) {
            proxy.fail(exchange, e);
        } else {
            // only the request that made the call can relay its answer
            Problems.refuse(ctx, new Refusal(503, "upstream-unavailable", "Service Unavailable",
                    exchange.route().upstream() + " failed", 1));
        }
    }

    private static void serve(RoutingContext ctx, CachedResponse entry, String outcome) {
        HttpServerResponse response = ctx.response();
        long now = System.currentTimeMillis();
        entry.headers().forEach(h -> response.headers().remove(h.getKey()));
        entry.headers().forEach(h -> response.headers().add(h.getKey(), h.getValue()));
        response.putHeader("Age", Long.toString(entry.age(now)));
        response.putHeader(X_CACHE, outcome);
        String etag = entry.header("ETag");
        if (etag != null && matches(ctx.request().getHeader("If-None-Match"), etag)) {
            response.headers().remove("Content-Length").remove("Content-Type");
            response.setStatusCode(304).end();
            return;
        }
        response.setStatusCode(entry.status());
        if (ctx.request().method() == HttpMethod.HEAD) {
            response.end();
        } else {
            response.end(Buffer.buffer(entry.body()));
        }
    }

    /** Weak comparison (RFC 9110 13.1.2), as If-None-Match requires. */
    static boolean matches(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null) {
            return false;
        }
        String tag = etag.startsWith("W/") ? etag.substring(2) : etag;
        for (String candidate : ifNoneMatch.split(",")) {
            String c = candidate.trim();
            if (c.equals("*") || (c.startsWith("W/") ? c.substring(2) : c).equals(tag)) {
                return true;
            }
        }
        return false;
    }
}
