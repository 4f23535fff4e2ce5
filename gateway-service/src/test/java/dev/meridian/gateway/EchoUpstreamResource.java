package dev.meridian.gateway;

import dev.meridian.local.infra.Ports;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.RsaJsonWebKey;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real local upstream for the gateway's tests: echoes what reached it (method, path, query, headers, body) as JSON,
 * serves a JWKS for a key pair the tests sign with, exchanges one API key for tokens like user-service, and answers
 * /slow after 3 s; /flaky fails every other call, /broken until healed. Upstreams point here (inference also lists a
 * dead instance first; "pair" also a sick one that answers 503 to everything).
 */
public class EchoUpstreamResource implements QuarkusTestResourceLifecycleManager {

    public static final String KID = "test-key-1";
    static KeyPair signingKey;
    static volatile int jwksRequests;
    /** user-service unreachable, as far as the JWKS goes. */
    static volatile boolean jwksDown;
    static volatile int exchanges;
    /** What /v1/stream/flood offers a client, and how much of it its connection has taken so far. */
    static final long FLOOD_BYTES = 256L * 1024 * 1024;
    static final java.util.concurrent.atomic.AtomicLong floodWritten = new java.util.concurrent.atomic.AtomicLong();
    /** How long the token endpoint takes to refuse an unknown API key. */
    static volatile long exchangeDelayMillis;
    /** /flaky answers 503 to every other request. */
    static final java.util.concurrent.atomic.AtomicInteger flakyCalls = new java.util.concurrent.atomic.AtomicInteger();
    /** /broken answers 503 until healed. */
    static final java.util.concurrent.atomic.AtomicInteger brokenCalls = new java.util.concurrent.atomic.AtomicInteger();
    static volatile boolean brokenHealed;
    /** The second instance of upstream "pair": ready to health checks, 503 to every request. */
    static final java.util.concurrent.atomic.AtomicInteger sickCalls = new java.util.concurrent.atomic.AtomicInteger();
    static int sickPort;
    /** The first instance of upstream "steady" (the echo server is its second), a process of its own to kill. */
    static int killablePort;
    static final java.util.concurrent.atomic.AtomicInteger killableCalls =
            new java.util.concurrent.atomic.AtomicInteger();
    private static Vertx killable;
    /** Calls per path and query under /v1/cached and /v1/private-cached; those answer 503 while cachedDown. */
    static final Map<String, java.util.concurrent.atomic.AtomicInteger> cachedCalls =
            new java.util.concurrent.ConcurrentHashMap<>();
    static volatile boolean cachedDown;
    /** The one API key the fake token endpoint accepts; tokens it mints carry these ids. */
    static final String API_KEY = "mk_" + "k".repeat(43);
    static final String API_KEY_USER = java.util.UUID.randomUUID().toString();
    static final String API_KEY_ID = java.util.UUID.randomUUID().toString();

    /** What a service publishes at /q/openapi: two routed paths, one the gateway has no route for. */
    static final String OPENAPI = new JsonObject().put("openapi", "3.0.3").put("paths", new JsonObject()
            .put("/v1/users", new JsonObject().put("post", new JsonObject().put("summary", "Sign up")
                    .put("responses", new JsonObject().put("201", new JsonObject().put("description", "created")
                            .put("content", new JsonObject().put("application/json", new JsonObject().put("schema",
                                    new JsonObject().put("$ref", "#/components/schemas/User"))))))))
            .put("/v1/users/{id}", new JsonObject().put("get", new JsonObject().put("summary", "One user")
                    .put("responses", new JsonObject())))
            .put("/v1/embeddings", new JsonObject().put("post", new JsonObject().put("summary", "Embed")
                    .put("responses", new JsonObject())))
            .put("/internal/reindex", new JsonObject().put("post", new JsonObject().put("summary", "Internal")
                    .put("responses", new JsonObject()))))
            .put("components", new JsonObject().put("schemas", new JsonObject().put("User",
                    new JsonObject().put("type", "object")))).encode();

    private Vertx vertx;

    @Override
    public Map<String, String> start() {
        try {
            KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
            rsa.initialize(2048);
            signingKey = rsa.generateKeyPair();
            RsaJsonWebKey jwk = new RsaJsonWebKey((RSAPublicKey) signingKey.getPublic());
            jwk.setKeyId(KID);
            String jwks = new JsonWebKeySet(jwk).toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY);
            int port = Ports.free();
            vertx = Vertx.vertx();
            HttpServer server = vertx.createHttpServer().webSocketHandler(ws -> {
                if (ws.path().equals("/v1/stream/flood")) {
                    flood(ws);
                    return;
                }
                // first frame: who the gateway said the caller is; then every text frame echoed back
                ws.writeTextMessage("user:" + ws.headers().get("X-User-Id"));
                ws.textMessageHandler(text -> ws.writeTextMessage("echo:" + text));
            }).requestHandler(request -> {
                if (request.path().equals("/v1/jobs/events")) {
                    request.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
                    for (int i = 1; i <= 3; i++) {
                        int n = i;
                        vertx.setTimer(300L * i, id -> {
                            request.response().write("data: progress " + n + "\n\n");
                            if (n == 3) {
                                request.response().end();
                            }
                        });
                    }
                    return;
                }
                if (request.path().equals("/q/openapi")) {
                    request.response().putHeader("Content-Type", "application/json").end(OPENAPI);
                    return;
                }
                if (request.path().equals("/.well-known/jwks.json")) {
                    jwksRequests++;
                    if (jwksDown) {
                        request.response().setStatusCode(503).end();
                        return;
                    }
                    request.response().putHeader("Content-Type", "application/json").end(jwks);
                    return;
                }
                if (request.path().equals("/v1/auth/token")) {
                    request.body().onSuccess(body -> {
                        JsonObject grant = body.toJsonObject();
                        if (!"api_key".equals(grant.getString("grant_type"))) {
                            request.response().setStatusCode(400).end();
                            return;
                        }
                        exchanges++;
                        if (!API_KEY.equals(grant.getString("api_key"))) {
                            // user-service looks the key up (a database transaction) before it can say no
                            vertx.setTimer(Math.max(1, exchangeDelayMillis), id -> request.response().setStatusCode(400)
                                    .putHeader("Content-Type", "application/json").end("{\"error\":\"invalid_grant\"}"));
                            return;
                        }
                        String jwt = TestTokens.sign(TestTokens.claims(API_KEY_USER).claim("akid", API_KEY_ID));
                        request.response().putHeader("Content-Type", "application/json").end(new JsonObject()
                                .put("access_token", jwt).put("token_type", "Bearer").put("expires_in", 900).encode());
                    });
                    return;
                }
                if (request.path().equals("/flaky")) {
                    int call = flakyCalls.incrementAndGet();
                    request.body().onSuccess(body -> request.response().setStatusCode(call % 2 == 1 ? 503 : 200)
                            .end("call " + call + " body=" + body));
                    return;
                }
                if (request.path().startsWith("/v1/cached/") || request.path().startsWith("/v1/private-cached/")) {
                    cached(vertx, request);
                    return;
                }
                if (request.path().equals("/broken")) {
                    brokenCalls.incrementAndGet();
                    request.body().onSuccess(ignored -> request.response().setStatusCode(brokenHealed ? 200 : 503)
                            .end(brokenHealed ? "healed" : "broken"));
                    return;
                }
                if (request.path().equals("/slow")) {
                    vertx.setTimer(3000, id -> request.response().end("late"));
                    return;
                }
                request.body().onSuccess(body -> {
                    JsonObject headers = new JsonObject();
                    request.headers().forEach(h -> headers.put(h.getKey().toLowerCase(),
                            headers.containsKey(h.getKey().toLowerCase())
                                    ? headers.getString(h.getKey().toLowerCase()) + "|" + h.getValue() : h.getValue()));
                    request.response().putHeader("Content-Type", "application/json")
                            .putHeader("Connection", "keep-alive, X-Upstream-Private")
                            .putHeader("X-Upstream-Private", "hop-by-hop, must not reach the client")
                            .putHeader("X-Upstream", "echo")
                            .end(new JsonObject().put("method", request.method().name()).put("path", request.path())
                                    .put("query", request.query()).put("headers", headers)
                                    .put("body", body.toString()).encode());
                });
            });
            server.listen(port, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            sickPort = Ports.free();
            vertx.createHttpServer().requestHandler(request -> {
                if (request.path().equals("/q/health/ready")) {
                    request.response().end("{\"status\":\"UP\"}");
                    return;
                }
                sickCalls.incrementAndGet();
                request.response().setStatusCode(503).end("sick");
            }).listen(sickPort, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            killablePort = Ports.free();
            startKillable();
            String base = "http://127.0.0.1:" + port;
            // inference lists a dead instance first: requests must still all succeed
            return Map.ofEntries(
                    Map.entry("quarkus.stork.users.service-discovery.address-list", "127.0.0.1:" + port),
                    Map.entry("quarkus.stork.inference.service-discovery.address-list",
                            "127.0.0.1:" + Ports.free() + ",127.0.0.1:" + port),
                    Map.entry("meridian.gateway.jwt.jwks-url", base + "/.well-known/jwks.json"),
                    Map.entry("meridian.gateway.jwt.token-url", base + "/v1/auth/token"),
                    Map.entry("meridian.gateway.routes.slow.path", "/slow"),
                    Map.entry("meridian.gateway.routes.slow.upstream", "users"),
                    Map.entry("meridian.gateway.routes.slow.auth", "public"),
                    Map.entry("meridian.gateway.routes.slow.timeout", "PT0.5S"),
                    Map.entry("meridian.gateway.routes.flaky.path", "/flaky"),
                    Map.entry("meridian.gateway.routes.flaky.upstream", "flaky"),
                    Map.entry("meridian.gateway.routes.flaky.auth", "public"),
                    Map.entry("quarkus.stork.flaky.service-discovery.type", "static"),
                    Map.entry("quarkus.stork.flaky.service-discovery.address-list", "127.0.0.1:" + port),
                    Map.entry("meridian.gateway.routes.broken.path", "/broken"),
                    Map.entry("meridian.gateway.routes.broken.upstream", "broken"),
                    Map.entry("meridian.gateway.routes.broken.auth", "public"),
                    Map.entry("quarkus.stork.broken.service-discovery.type", "static"),
                    Map.entry("quarkus.stork.broken.service-discovery.address-list", "127.0.0.1:" + port),
                    // round robin (Stork's default) keeps sending to the sick instance: only ejection stops that
                    Map.entry("meridian.gateway.routes.pair.path", "/v1/pair"),
                    Map.entry("meridian.gateway.routes.pair.upstream", "pair"),
                    Map.entry("meridian.gateway.routes.pair.auth", "public"),
                    Map.entry("quarkus.stork.pair.service-discovery.type", "static"),
                    Map.entry("quarkus.stork.pair.service-discovery.address-list",
                            "127.0.0.1:" + sickPort + ",127.0.0.1:" + port),
                    Map.entry("meridian.gateway.routes.steady.path", "/v1/steady"),
                    Map.entry("meridian.gateway.routes.steady.upstream", "steady"),
                    Map.entry("meridian.gateway.routes.steady.auth", "public"),
                    Map.entry("meridian.gateway.routes.steady.rate-limit-policy", "bulk"),
                    Map.entry("meridian.gateway.routes.steady.repeatable", "true"),
                    Map.entry("meridian.gateway.routes.steady-once.path", "/v1/steady-once"),
                    Map.entry("meridian.gateway.routes.steady-once.upstream", "steady-once"),
                    Map.entry("meridian.gateway.routes.steady-once.auth", "public"),
                    Map.entry("meridian.gateway.routes.steady-once.rate-limit-policy", "bulk"),
                    Map.entry("quarkus.stork.steady.service-discovery.type", "static"),
                    Map.entry("quarkus.stork.steady.service-discovery.address-list",
                            "127.0.0.1:" + killablePort + ",127.0.0.1:" + port),
                    Map.entry("quarkus.stork.steady-once.service-discovery.type", "static"),
                    Map.entry("quarkus.stork.steady-once.service-discovery.address-list",
                            "127.0.0.1:" + killablePort + ",127.0.0.1:" + port),
                    Map.entry("meridian.gateway.routes.fallback-local.path", "/v1/fallback/local"),
                    Map.entry("meridian.gateway.routes.fallback-local.upstream", "users"),
                    Map.entry("meridian.gateway.routes.fallback-local.auth", "public"),
                    Map.entry("meridian.gateway.routes.fallback-local.rate-limit-policy", "accuracy"),
                    Map.entry("meridian.gateway.routes.fallback-local.on-redis-failure", "local"),
                    Map.entry("meridian.gateway.routes.fallback-open.path", "/v1/fallback/open"),
                    Map.entry("meridian.gateway.routes.fallback-open.upstream", "users"),
                    Map.entry("meridian.gateway.routes.fallback-open.auth", "public"),
                    Map.entry("meridian.gateway.routes.fallback-open.on-redis-failure", "open"),
                    Map.entry("meridian.gateway.routes.fallback-closed.path", "/v1/fallback/closed"),
                    Map.entry("meridian.gateway.routes.fallback-closed.upstream", "users"),
                    Map.entry("meridian.gateway.routes.fallback-closed.auth", "public"),
                    Map.entry("meridian.gateway.routes.fallback-closed.on-redis-failure", "closed"),
                    Map.entry("meridian.gateway.routes.unlimited.path", "/v1/unlimited"),
                    Map.entry("meridian.gateway.routes.unlimited.upstream", "users"),
                    Map.entry("meridian.gateway.routes.unlimited.rate-limited", "false"),
                    Map.entry("quarkus.stork.cached.service-discovery.type", "static"),
                    Map.entry("quarkus.stork.cached.service-discovery.address-list", "127.0.0.1:" + port),
                    Map.entry("meridian.gateway.routes.cached.path", "/v1/cached"),
                    Map.entry("meridian.gateway.routes.cached.upstream", "cached"),
                    Map.entry("meridian.gateway.routes.cached.auth", "public"),
                    Map.entry("meridian.gateway.routes.cached.cache", "true"),
                    Map.entry("meridian.gateway.routes.cached.cache-query", "cc,vary,etag,delay,n"),
                    Map.entry("meridian.gateway.routes.cached.rate-limit-policy", "bulk"),
                    Map.entry("meridian.gateway.routes.private-cached.path", "/v1/private-cached"),
                    Map.entry("meridian.gateway.routes.private-cached.upstream", "cached"),
                    Map.entry("meridian.gateway.routes.private-cached.cache", "true"),
                    Map.entry("meridian.gateway.routes.private-cached.cache-query", "cc,vary,etag,delay"));
        } catch (Exception e) {
            throw new IllegalStateException("could not start the echo upstream", e);
        }
    }

    /**
     * An answer whose caching headers the query chooses: cc (Cache-Control), vary, etag, delay (ms). The body says
     * which call it is and for whom, so a test can tell a stored answer from a fresh one.
     */
    private static void cached(Vertx vertx, io.vertx.core.http.HttpServerRequest request) {
        int call = cachedCalls.computeIfAbsent(request.uri(), k -> new java.util.concurrent.atomic.AtomicInteger())
                .incrementAndGet();
        var response = request.response();
        if (cachedDown) {
            response.setStatusCode(503).end("down");
            return;
        }
        if (request.getParam("cc") != null) {
            response.putHeader("Cache-Control", request.getParam("cc"));
        }
        if (request.getParam("vary") != null) {
            response.putHeader("Vary", request.getParam("vary"));
        }
        if (request.getParam("etag") != null) {
            response.putHeader("ETag", "\"" + request.getParam("etag") + "\"");
        }
        String body = new JsonObject().put("call", call).put("path", request.path())
                .put("lang", request.getHeader("Accept-Language")).put("user", request.getHeader("X-User-Id"))
                .put("conditional", request.getHeader("If-None-Match")).encode();
        response.putHeader("Content-Type", "application/json");
        long delay = request.getParam("delay") == null ? 0 : Long.parseLong(request.getParam("delay"));
        if (delay > 0) {
            vertx.setTimer(delay, id -> response.end(body));
        } else {
            response.end(body);
        }
    }

    /**
     * Sends {@link #FLOOD_BYTES} in 256 KiB messages as fast as the connection takes them (it waits while its write
     * queue is full), counting in {@link #floodWritten} what the connection accepted.
     */
    private static void flood(io.vertx.core.http.ServerWebSocket ws) {
        io.vertx.core.buffer.Buffer chunk = io.vertx.core.buffer.Buffer.buffer(new byte[256 * 1024]);
        long[] queued = {0};
        Runnable[] pump = new Runnable[1];
        pump[0] = () -> {
            while (!ws.writeQueueFull() && queued[0] < FLOOD_BYTES && !ws.isClosed()) {
                queued[0] += chunk.length();
                ws.writeBinaryMessage(chunk).onSuccess(v -> floodWritten.addAndGet(chunk.length()));
            }
        };
        ws.drainHandler(v -> pump[0].run());
        pump[0].run();
    }

    /** Starts the killable instance: it answers every request after 20 ms, as a service doing some work would. */
    static void startKillable() throws Exception {
        killable = Vertx.vertx();
        killable.createHttpServer().requestHandler(request -> {
            if (!request.path().equals("/q/health/ready")) {
                killableCalls.incrementAndGet();
            }
            request.body().onSuccess(body -> killable.setTimer(20,
                    id -> request.response().end("killable body=" + body)));
        }).listen(killablePort, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** Gone at once, as after SIGKILL: its listening socket and every open connection are closed mid-request. */
    static void kill() throws Exception {
        killable.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Override
    public void stop() {
        if (killable != null) {
            killable.close();
        }
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().join();
        }
    }
}
