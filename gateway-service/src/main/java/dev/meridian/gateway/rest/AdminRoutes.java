package dev.meridian.gateway.rest;

import dev.meridian.gateway.auth.AuthenticationStep;
import dev.meridian.gateway.cache.ResponseCache;
import dev.meridian.gateway.config.GatewayConfig;
import dev.meridian.gateway.pipeline.ClientAddresses;
import dev.meridian.gateway.pipeline.Problems;
import dev.meridian.gateway.pipeline.Refusal;
import dev.meridian.gateway.pipeline.RouteTable;
import dev.meridian.gateway.ratelimit.RateLimiter;
import dev.meridian.gateway.upstream.InstanceHealth;
import io.smallrye.mutiny.Uni;
import io.smallrye.stork.Stork;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The gateway's own admin API (admin role): routes, upstream instances with their health and breaker, cache purge,
 * and where a subject stands on its rate limits.
 */
@ApplicationScoped
public class AdminRoutes {

    /** No token passes here unchecked against the deny-list: without Redis this API answers 503. */
    private static final RouteTable.Route ADMIN = new RouteTable.Route("admin", "/admin", false, List.of(), "gateway",
            GatewayConfig.Auth.ADMIN, Duration.ofSeconds(10), false, Optional.empty(),
            Optional.of(GatewayConfig.FailureMode.CLOSED), 0, false, false, List.of(), false);

    private final AuthenticationStep authentication;
    private final RouteTable routes;
    private final InstanceHealth health;
    private final ResponseCache cache;
    private final RateLimiter limiter;
    private final ClientAddresses clients;

    public AdminRoutes(AuthenticationStep authentication, RouteTable routes, InstanceHealth health, ResponseCache cache,
                       RateLimiter limiter, ClientAddresses clients) {
        this.clients = clients;
        this.authentication = authentication;
        this.routes = routes;
        this.health = health;
        this.cache = cache;
        this.limiter = limiter;
    }

    void register(@Observes Router router) {
        router.get("/admin/routes").handler(admin(this::routes));
        router.get("/admin/upstreams").handler(admin(this::upstreams));
        router.delete("/admin/cache").handler(admin(this::purge));
        router.get("/admin/rate-limits").handler(admin(this::rateLimits));
    }

    private Handler<RoutingContext> admin(Function<RoutingContext, Uni<JsonObject>> action) {
        return ctx -> authentication.authenticate(ADMIN, ctx.request().getHeader(HttpHeaders.AUTHORIZATION),
                        clients.client(ctx.request()).address(), ctx.response().headers())
                .flatMap(identity -> action.apply(ctx))
                .subscribe().with(body -> ctx.response().putHeader("Content-Type", "application/json")
                        .putHeader("Cache-Control", "no-store").end(body.encode()), e -> {
                    Problems.refuse(ctx, e instanceof Refusal ? e : new Refusal(503, "admin-unavailable",
                            "Service Unavailable", "could not answer: " + e.getClass().getSimpleName(), 0));
                });
    }

    private Uni<JsonObject> routes(RoutingContext ctx) {
        JsonArray list = new JsonArray();
        for (RouteTable.Route route : routes.all()) {
            list.add(new JsonObject().put("id", route.id()).put("path", route.path()).put("exact", route.exact())
                    .put("methods", new JsonArray(route.methods())).put("upstream", route.upstream())
                    .put("auth", route.auth().name().toLowerCase()).put("timeoutMillis", route.timeout().toMillis())
                    .put("retries", route.retries()).put("repeatable", route.repeatable()).put("rateLimited", route.rateLimited())
                    .put("rateLimitPolicy", route.rateLimitPolicy().orElse(null)).put("cache", route.cache()));
        }
        return Uni.createFrom().item(new JsonObject().put("routes", list));
    }

    private Uni<JsonObject> upstreams(RoutingContext ctx) {
        TreeSet<String> names = new TreeSet<>();
        routes.all().forEach(route -> names.add(route.upstream()));
        var states = health.snapshot();
        long now = System.currentTimeMillis();
        return io.smallrye.mutiny.Multi.createFrom().iterable(names)
                .onItem().transformToUniAndConcatenate(name -> Stork.getInstance().getService(name).getInstances()
                        .onFailure().recoverWithItem(List.of())
                        .map(instances -> {
                            JsonArray list = new JsonArray();
                            instances.forEach(instance -> {
                                String address = instance.getHost() + ":" + instance.getPort();
                                InstanceHealth.State state = states.get(InstanceHealth.key(name, address));
                                boolean ejected = state != null && state.ejectedUntil() > now;
                                list.add(new JsonObject().put("address", address).put("ejected", ejected)
                                        .put("ejectedForMillis", ejected ? state.ejectedUntil() - now : 0)
                                        .put("ejections", state == null ? 0 : state.level())
                                        .put("down", state != null && state.down())
                                        .put("consecutiveFailures", state == null ? 0 : state.consecutiveFailures()));
                            });
                            return new JsonObject().put("name", name)
                                    .put("breaker", health.noneInRotation(name) ? "open" : "closed")
                                    .put("instances", list);
                        }))
                .collect().asList()
                .map(list -> new JsonObject().put("upstreams", new JsonArray(list)));
    }

    /** {@code ?path=/v1/models} forgets that path's answers; {@code ?prefix=/v1/} every path below it. */
    private Uni<JsonObject> purge(RoutingContext ctx) {
        String path = ctx.request().getParam("path");
        String prefix = ctx.request().getParam("prefix");
        if ((path == null) == (prefix == null) || !(path != null ? path : prefix).startsWith("/")) {
            return Uni.createFrom().failure(new Refusal(400, "invalid-request", "Bad Request",
                    "give exactly one of path or prefix, starting with /", 0));
        }
        boolean byPrefix = prefix != null;
        return cache.purge(byPrefix ? prefix : path, byPrefix)
                .map(purged -> new JsonObject().put(byPrefix ? "prefix" : "path", byPrefix ? prefix : path)
                        .put("purged", purged));
    }

    /** {@code ?subject=user:<id>|ip:<address>&policy=free}: each limit's remaining requests and reset. */
    private Uni<JsonObject> rateLimits(RoutingContext ctx) {
        String subject = ctx.request().getParam("subject");
        String policyName = ctx.request().getParam("policy");
        if (subject == null || !(subject.startsWith("user:") || subject.startsWith("ip:"))) {
            return Uni.createFrom().failure(new Refusal(400, "invalid-request", "Bad Request",
                    "subject is required: user:<id> or ip:<address>", 0));
        }
        if (policyName == null || !limiter.hasPolicy(policyName)) {
            return Uni.createFrom().failure(new Refusal(400, "invalid-request", "Bad Request",
                    "policy must be one of " + new TreeSet<>(limiter.policies().keySet()), 0));
        }
        return limiter.peek(limiter.policy(policyName), subject).map(states -> {
            JsonArray limits = new JsonArray();
            states.forEach(state -> limits.add(new JsonObject().put("limit", state.limit()).put("rate", state.rate())
                    .put("windowSeconds", state.windowSeconds()).put("burst", state.burst())
                    .put("remaining", state.remaining())
                    .put("resetSeconds", (long) Math.ceil(state.resetMicros() / 1_000_000.0))));
            return new JsonObject().put("subject", subject).put("policy", policyName).put("limits", limits);
        });
    }
}
