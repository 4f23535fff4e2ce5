package dev.meridian.gateway;

import io.quarkus.test.junit.QuarkusTest;
import org.awaitility.Awaitility;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the gateway records per request: an access log line (what an operator needs, nothing secret) and metrics. */
@QuarkusTest
class AccessLogTest {

    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            lines.add(record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void capture() {
        Logger.getLogger("dev.meridian.gateway.access").addHandler(capture);
    }

    @AfterEach
    void release() {
        Logger.getLogger("dev.meridian.gateway.access").removeHandler(capture);
    }

    private String lineFor(String requestId) {
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() ->
                lines.stream().anyMatch(line -> line.endsWith("request=" + requestId)));
        return lines.stream().filter(line -> line.endsWith("request=" + requestId)).findFirst().orElseThrow();
    }

    @Test
    void aProxiedRequestIsLoggedWithRouteUpstreamCacheAndRateLimitButNoSecrets() {
        String user = UUID.randomUUID().toString();
        String token = TestTokens.sign(TestTokens.claims(user));
        String requestId = "access-" + UUID.randomUUID();
        given().auth().oauth2(token).header("X-Request-Id", requestId).queryParam("api_key", "hunter2")
                .get("/v1/models").then().statusCode(200);
        String line = lineFor(requestId);
        assertTrue(line.startsWith("GET /v1/models route=models status=200 "), line);
        assertTrue(line.matches(".* ms=[0-9.]+ bytes=[1-9][0-9]* upstream=127\\.0\\.0\\.1:[0-9]+ cache=BYPASS"
                + " ratelimit=allowed user=" + user + " request=.*"), line);
        assertFalse(line.contains("hunter2") || line.contains(token), "a secret reached the access log: " + line);
    }

    @Test
    void refusalsAreLoggedToo() {
        String requestId = "access-" + UUID.randomUUID();
        given().header("X-Request-Id", requestId).get("/v2/nowhere").then().statusCode(404);
        assertTrue(lineFor(requestId).startsWith("GET /v2/nowhere route=- status=404 "), lineFor(requestId));
        String unauthenticated = "access-" + UUID.randomUUID();
        given().header("X-Request-Id", unauthenticated).get("/v1/models").then().statusCode(401);
        assertTrue(lineFor(unauthenticated).matches("GET /v1/models route=models status=401 .* upstream=- .* user=- .*"),
                lineFor(unauthenticated));
    }

    @Test
    void requestsAreCountedAndTimedPerRouteAndOutcomeForDashboards() {
        String token = TestTokens.sign(TestTokens.claims(UUID.randomUUID().toString()));
        given().auth().oauth2(token).get("/v1/models").then().statusCode(200);
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.lines().anyMatch(line -> line.startsWith("meridian_gateway_requests_seconds_count{")
                && line.contains("route=\"models\"") && line.contains("status=\"2xx\"")
                && line.contains("ratelimit=\"allowed\"") && line.contains("method=\"GET\"")), metrics);
        assertTrue(metrics.contains("meridian_gateway_jwks_loaded 1.0"), "the key set is not reported loaded");
        assertTrue(metrics.lines().anyMatch(line -> line.startsWith("meridian_gateway_jwks_refreshes_total{")
                && line.contains("result=\"success\"") && !line.endsWith(" 0.0")), "no successful JWKS refresh counted");
        // a histogram, so dashboards can show percentiles across instances
        assertTrue(metrics.lines().anyMatch(line -> line.startsWith("meridian_gateway_requests_seconds_bucket{")
                && line.contains("route=\"models\"")), "no histogram buckets");
    }
}
