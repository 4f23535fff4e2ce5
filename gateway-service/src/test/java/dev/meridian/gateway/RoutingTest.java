package dev.meridian.gateway;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.UUID;

import static dev.meridian.gateway.TestTokens.claims;
import static dev.meridian.gateway.TestTokens.sign;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Routing and proxying against a real local upstream: paths, headers both ways, retries, timeouts, limits. */
@QuarkusTest
class RoutingTest {

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL gateway;

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
}
