package dev.meridian.gateway;

import dev.meridian.events.TokenRevocation;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.smallrye.jwt.algorithm.SignatureAlgorithm;
import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.build.JwtClaimsBuilder;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Set;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The gateway in front of a real local upstream: routing, headers both ways, identity at the edge, failures. */
@QuarkusTest
class GatewayProxyTest {

    @Inject
    RedisDataSource redis;

    @Test
    void publicRouteIsForwardedWithPathQueryBodyAndForwardingHeaders() {
        given().contentType(ContentType.JSON).body("{\"email\":\"a@b.c\"}").queryParam("x", "1")
                .post("/v1/users")
                .then().statusCode(200)
                .header("X-Upstream", "echo")
                .header("X-Request-Id", notNullValue())
                .header("X-Upstream-Private", nullValue())
                .body("method", equalTo("POST"))
                .body("path", equalTo("/v1/users"))
                .body("query", equalTo("x=1"))
                .body("body", equalTo("{\"email\":\"a@b.c\"}"))
                .body("headers.x-forwarded-for", equalTo("127.0.0.1"))
                .body("headers.x-forwarded-proto", equalTo("http"))
                .body("headers.forwarded", containsString("for=\"127.0.0.1\""))
                .body("headers.x-request-id", notNullValue());
    }

    @Test
    void clientRequestIdIsKeptAndReturned() {
        given().header("X-Request-Id", "trace-me-123").get("/.well-known/jwks.json")
                .then().statusCode(200).header("X-Request-Id", "trace-me-123");
        given().header("X-Request-Id", "bad id with spaces").get("/.well-known/jwks.json")
                .then().statusCode(200).header("X-Request-Id", matchesPattern("[0-9a-f-]{36}"));
    }

    @Test
    void forgedIdentityHeadersNeverReachTheUpstream() {
        given().header("X-User-Id", "someone-else").header("X-User-Roles", "admin").header("X-User-Tier", "pro")
                .contentType(ContentType.JSON).body("{}").post("/v1/users")
                .then().statusCode(200)
                .body("headers.x-user-id", nullValue())
                .body("headers.x-user-roles", nullValue())
                .body("headers.x-user-tier", nullValue());
    }

    @Test
    void verifiedIdentityIsForwardedAndReplacesForgedHeaders() {
        String user = UUID.randomUUID().toString();
        String token = sign(claims(user));
        given().auth().oauth2(token).header("X-User-Id", "forged").get("/v1/users/me")
                .then().statusCode(200)
                .body("headers.x-user-id", equalTo(user))
                .body("headers.x-user-roles", equalTo("user"))
                .body("headers.x-user-tier", equalTo("free"))
                .body("headers.authorization", equalTo("Bearer " + token));
    }

    @Test
    void aBrokenTokenOnAPublicRouteIsIgnoredNotRefused() {
        given().auth().oauth2("not-a-jwt").contentType(ContentType.JSON).body("{}").post("/v1/users")
                .then().statusCode(200)
                .body("headers.x-user-id", nullValue());
    }

    @Test
    void protectedRoutesNeedAValidToken() {
        given().get("/v1/users/me").then().statusCode(401)
                .header("WWW-Authenticate", "Bearer realm=\"meridian\"")
                .contentType("application/problem+json").body("status", equalTo(401));
        given().post("/v1/embeddings").then().statusCode(401);

        String user = UUID.randomUUID().toString();
        String real = sign(claims(user));
        String[] parts = real.split("\\.");
        given().auth().oauth2(b64("{\"alg\":\"none\"}") + "." + parts[1] + ".").get("/v1/users/me").then().statusCode(401);
        String tampered = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                .replace("\"free\"", "\"pro\"");
        given().auth().oauth2(parts[0] + "." + b64(tampered) + "." + parts[2]).get("/v1/users/me").then().statusCode(401);
        String hs256 = claims(user).jws().keyId(EchoUpstreamResource.KID).algorithm(SignatureAlgorithm.HS256)
                .sign(new SecretKeySpec("a-secret-that-is-long-enough-for-hs256!!".getBytes(StandardCharsets.UTF_8),
                        "HmacSHA256"));
        given().auth().oauth2(hs256).get("/v1/users/me").then().statusCode(401);
        Instant past = Instant.now().minusSeconds(3600);
        given().auth().oauth2(sign(claims(user).issuedAt(past).expiresAt(past.plusSeconds(60))))
                .get("/v1/users/me").then().statusCode(401);
        given().auth().oauth2(sign(claims(user).issuer("https://evil.example"))).get("/v1/users/me").then().statusCode(401);
        given().auth().oauth2(sign(claims(user).audience("other"))).get("/v1/users/me").then().statusCode(401);
    }

    @Test
    void tokenFromAnotherKeyWithOurKidIsRefused() throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        String forged = claims(UUID.randomUUID().toString()).jws().keyId(EchoUpstreamResource.KID)
                .sign(rsa.generateKeyPair().getPrivate());
        given().auth().oauth2(forged).get("/v1/users/me").then().statusCode(401);
    }

    @Test
    void unknownKidsDoNotHammerTheJwksEndpoint() throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        var other = rsa.generateKeyPair().getPrivate();
        int before = EchoUpstreamResource.jwksRequests;
        for (int i = 0; i < 20; i++) {
            String token = claims(UUID.randomUUID().toString()).jws().keyId("unknown-" + i).sign(other);
            given().auth().oauth2(token).get("/v1/users/me").then().statusCode(401);
        }
        int fetched = EchoUpstreamResource.jwksRequests - before;
        org.junit.jupiter.api.Assertions.assertTrue(fetched <= 1, "20 unknown kids caused " + fetched + " JWKS fetches");
    }

    /** user-service down after the key set was loaded: tokens keep passing, and the failed refresh is counted. */
    @Test
    void aJwksOutageServesTheLoadedKeysAndCountsTheFailedRefresh() throws Exception {
        String valid = sign(claims(UUID.randomUUID().toString()));
        given().auth().oauth2(valid).get("/v1/users/me").then().statusCode(200);
        double failures = jwksRefreshes("failure");
        double beforeFirstLoad = jwksRefreshes("unavailable");
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        var other = rsa.generateKeyPair().getPrivate();
        EchoUpstreamResource.jwksDown = true;
        try {
            // an unknown kid asks for a refresh (at most one per 10 s)
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                String unknown = claims(UUID.randomUUID().toString()).jws().keyId("rotated-" + UUID.randomUUID())
                        .sign(other);
                given().auth().oauth2(unknown).get("/v1/users/me").then().statusCode(401);
                return jwksRefreshes("failure") > failures;
            });
            given().auth().oauth2(valid).get("/v1/users/me").then().statusCode(200);
        } finally {
            EchoUpstreamResource.jwksDown = false;
        }
        assertEquals(beforeFirstLoad, jwksRefreshes("unavailable"));
    }

    private static double jwksRefreshes(String result) {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines().filter(line -> line.startsWith("meridian_gateway_jwks_refreshes_total{")
                        && line.contains("result=\"" + result + "\""))
                .mapToDouble(line -> Double.parseDouble(line.replaceAll(" # .*", "").split(" ")[1]))
                .findFirst().orElseThrow(() -> new AssertionError("no " + result + " count in " + metrics));
    }

    @Test
    void apiKeysAreExchangedOnceAndOnlyJwtsGoDownstream() {
        int before = EchoUpstreamResource.exchanges;
        for (int i = 0; i < 3; i++) {
            given().auth().oauth2(EchoUpstreamResource.API_KEY).get("/v1/embeddings")
                    .then().statusCode(200)
                    .body("headers.x-user-id", equalTo(EchoUpstreamResource.API_KEY_USER))
                    .body("headers.authorization", not(containsString("mk_")))
                    .body("headers.authorization", containsString("Bearer ey"));
        }
        org.junit.jupiter.api.Assertions.assertEquals(1, EchoUpstreamResource.exchanges - before,
                "the exchanged token should be reused");

        given().auth().oauth2("mk_" + "x".repeat(43)).get("/v1/embeddings").then().statusCode(401)
                .body("detail", containsString("API key"));

        // revoking the key at user-service writes the deny-list entry; the cached token dies with it
        redis.value(String.class).setex(TokenRevocation.apiKeyKey(EchoUpstreamResource.API_KEY_ID), 60,
                Long.toString(Instant.now().getEpochSecond() + 1));
        given().auth().oauth2(EchoUpstreamResource.API_KEY).get("/v1/embeddings").then().statusCode(401);
    }

    @Test
    void revokedUsersAreCutOffThroughTheRedisDenyList() {
        String user = UUID.randomUUID().toString();
        String token = sign(claims(user).issuedAt(Instant.now().minusSeconds(5)));
        given().auth().oauth2(token).get("/v1/users/me").then().statusCode(200);
        given().auth().oauth2(token).get("/v1/unlimited/me").then().statusCode(200);
        redis.value(String.class).setex(TokenRevocation.userKey(user), 60, Long.toString(Instant.now().getEpochSecond()));
        // a rate-limited route reads the deny-list in the rate limiter's call, an unlimited one in its own
        given().auth().oauth2(token).get("/v1/users/me").then().statusCode(401)
                .header("WWW-Authenticate", containsString("Bearer")).body("detail", containsString("revoked"));
        given().auth().oauth2(token).get("/v1/unlimited/me").then().statusCode(401)
                .body("detail", containsString("revoked"));
        // a revoked token is refused as such before its roles are looked at
        given().auth().oauth2(token).get("/v1/admin/users").then().statusCode(401)
                .body("detail", containsString("revoked"));
        // a token issued after the revocation is good again
        String fresh = sign(claims(user).issuedAt(Instant.now().plusSeconds(1)));
        given().auth().oauth2(fresh).get("/v1/users/me").then().statusCode(200);
    }

    @Test
    void adminRoutesNeedTheAdminRole() {
        String user = UUID.randomUUID().toString();
        given().auth().oauth2(sign(claims(user))).get("/v1/admin/users").then().statusCode(403)
                .contentType("application/problem+json");
        given().auth().oauth2(sign(claims(user).groups(Set.of("user", "admin")))).get("/v1/admin/users")
                .then().statusCode(200).body("path", equalTo("/v1/admin/users"));
    }

    @Test
    void unknownPathsAre404ProblemsAndDotSegmentsCannotEscapeARoute() {
        given().get("/v2/anything").then().statusCode(404).contentType("application/problem+json")
                .body("status", equalTo(404));
        // a route's prefix ends at a path segment: /v1/users/** does not take /v1/usersx
        given().get("/v1/usersx").then().statusCode(404).body("detail", containsString("/v1/usersx"));
        // /v1/auth/../admin/users normalises to /v1/admin/users, which needs an admin
        given().urlEncodingEnabled(false).get("/v1/auth/../admin/users").then().statusCode(401);
    }

    @Test
    void aDeadInstanceOfAnUpstreamCostsNoRequest() {
        String token = sign(claims(UUID.randomUUID().toString()));
        for (int i = 0; i < 20; i++) {
            given().auth().oauth2(token).get("/v1/models").then().statusCode(200).body("path", equalTo("/v1/models"));
        }
    }

    @Test
    void webSocketsPassThroughWithTheVerifiedIdentity() throws Exception {
        String user = UUID.randomUUID().toString();
        io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
        try {
            java.util.concurrent.BlockingQueue<String> received = new java.util.concurrent.LinkedBlockingQueue<>();
            io.vertx.core.http.WebSocket ws = vertx.createWebSocketClient().connect(
                            new io.vertx.core.http.WebSocketConnectOptions().setHost(gateway.getHost())
                                    .setPort(gateway.getPort()).setURI("/v1/stream")
                                    .addHeader("Authorization", "Bearer " + sign(claims(user)))
                                    .addHeader("X-User-Id", "forged"))
                    // the handler goes on in the connect callback, before any frame can be delivered
                    .onSuccess(connected -> connected.textMessageHandler(received::add))
                    .toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
            org.junit.jupiter.api.Assertions.assertEquals("user:" + user,
                    received.poll(10, java.util.concurrent.TimeUnit.SECONDS));
            ws.writeTextMessage("hello");
            org.junit.jupiter.api.Assertions.assertEquals("echo:hello",
                    received.poll(10, java.util.concurrent.TimeUnit.SECONDS));
            ws.close();
        } finally {
            vertx.close();
        }
        // no token, no WebSocket
        given().header("Upgrade", "websocket").header("Connection", "Upgrade").header("Sec-WebSocket-Version", "13")
                .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==").get("/v1/stream").then().statusCode(401);
    }

    @Test
    void serverSentEventsStreamThroughAsTheyAreSent() throws Exception {
        java.net.http.HttpResponse<java.util.stream.Stream<String>> response = java.net.http.HttpClient.newHttpClient()
                .send(java.net.http.HttpRequest.newBuilder(gateway.toURI().resolve("/v1/jobs/events"))
                        .header("Authorization", "Bearer " + sign(claims(UUID.randomUUID().toString()))).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofLines());
        org.junit.jupiter.api.Assertions.assertEquals(200, response.statusCode());
        java.util.List<Long> arrivals = new java.util.ArrayList<>();
        java.util.List<String> events = new java.util.ArrayList<>();
        response.body().filter(line -> !line.isEmpty()).forEach(line -> {
            arrivals.add(System.nanoTime());
            events.add(line);
        });
        org.junit.jupiter.api.Assertions.assertEquals(
                java.util.List.of("data: progress 1", "data: progress 2", "data: progress 3"), events);
        // the upstream sends one event every 300 ms: a buffering proxy would deliver them all at once
        long spreadMillis = (arrivals.get(2) - arrivals.get(0)) / 1_000_000;
        org.junit.jupiter.api.Assertions.assertTrue(spreadMillis >= 400, "events arrived together: " + spreadMillis + " ms");
    }

    @Test
    void safeRequestsAreRetriedOnUpstream503ButPostsAreNot() {
        for (int i = 0; i < 5; i++) {
            int before = EchoUpstreamResource.flakyCalls.get();
            given().get("/flaky").then().statusCode(200);
            int calls = EchoUpstreamResource.flakyCalls.get() - before;
            org.junit.jupiter.api.Assertions.assertTrue(calls == 1 || calls == 2, calls + " upstream calls for one GET");
        }
        // a POST is never repeated: whichever answer the upstream gives, the client gets it, from one call
        int before = EchoUpstreamResource.flakyCalls.get();
        int first = given().body("x").post("/flaky").statusCode();
        int second = given().body("x").post("/flaky").statusCode();
        org.junit.jupiter.api.Assertions.assertEquals(2, EchoUpstreamResource.flakyCalls.get() - before);
        org.junit.jupiter.api.Assertions.assertEquals(java.util.Set.of(200, 503), java.util.Set.of(first, second));
    }

    @Test
    void slowUpstreamIs504AndTheGatewayKeepsServing() {
        given().get("/slow").then().statusCode(504).contentType("application/problem+json")
                .body("detail", not(containsString("Exception")));
        given().get("/.well-known/jwks.json").then().statusCode(200);
    }

    @Test
    void securityHeadersAndSizeLimits() {
        given().contentType(ContentType.JSON).body("{}").post("/v1/users").then().statusCode(200)
                .header("X-Content-Type-Options", "nosniff")
                .header("X-Frame-Options", "DENY")
                .header("Referrer-Policy", "no-referrer");
        // announced too large: refused before the body is read (a client sending it anyway sees the connection close)
        org.junit.jupiter.api.Assertions.assertTrue(rawStatusLine("POST /v1/users HTTP/1.1\r\nHost: localhost\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + (11 * 1024 * 1024) + "\r\n\r\n")
                .startsWith("HTTP/1.1 413"));
        given().header("X-Big", "y".repeat(20 * 1024)).get("/.well-known/jwks.json").then().statusCode(431);
    }

    @Test
    void gatewayOwnEndpointsStayLocal() {
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
    }

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL gateway;

    private String rawStatusLine(String request) {
        try (java.net.Socket socket = new java.net.Socket(gateway.getHost(), gateway.getPort())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            return new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII)).readLine();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static JwtClaimsBuilder claims(String userId) {
        Instant now = Instant.now();
        return Jwt.issuer("https://meridian.dev/user-service").subject(userId).audience("meridian")
                .issuedAt(now).expiresAt(now.plusSeconds(600)).claim("jti", UUID.randomUUID().toString())
                .groups(Set.of("user")).claim("tier", "free");
    }

    static String sign(JwtClaimsBuilder claims) {
        return claims.jws().keyId(EchoUpstreamResource.KID).sign(EchoUpstreamResource.signingKey.getPrivate());
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
