package dev.meridian.gateway;

import io.quarkus.test.junit.QuarkusTest;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Failing upstreams: the breaker, ejection of a sick instance, and retries of POSTs that carry an Idempotency-Key. */
@QuarkusTest
class ResilienceTest {

    @Test
    void aFailingUpstreamTripsItsBreakerWhichClosesAgainOnceItRecovers() {
        EchoUpstreamResource.brokenHealed = false;
        // POSTs are sent once, so each failure is one upstream call whose own 503 reaches the client
        for (int i = 0; i < 6; i++) {
            given().body("x").post("/broken").then().statusCode(503).body(equalTo("broken"));
        }
        int calls = EchoUpstreamResource.brokenCalls.get();
        given().body("x").post("/broken").then().statusCode(503).contentType("application/problem+json")
                .header("Retry-After", "2")
                .body("type", containsString("upstream-circuit-open"));
        assertEquals(calls, EchoUpstreamResource.brokenCalls.get(), "an open breaker still called the upstream");
        given().auth().oauth2(AdminTest.adminToken()).get("/admin/upstreams").then()
                .body("upstreams.find { it.name == 'broken' }.breaker", equalTo("open"));
        given().get("/q/metrics").then().body(containsString("meridian_gateway_upstream_breaker{upstream=\"broken\"} 2.0"));
        // other upstreams are not affected
        given().get("/.well-known/jwks.json").then().statusCode(200);

        EchoUpstreamResource.brokenHealed = true;
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> given().body("x").post("/broken").statusCode() == 200);
        for (int i = 0; i < 5; i++) {
            given().body("x").post("/broken").then().statusCode(200).body(equalTo("healed"));
        }
    }

    @Test
    void aSickInstanceIsEjectedAndClientsNeverSeeIt() {
        String sick = "127.0.0.1:" + EchoUpstreamResource.sickPort;
        for (int i = 0; i < 20; i++) {
            given().get("/v1/pair/" + i).then().statusCode(200).body("path", equalTo("/v1/pair/" + i));
        }
        int sickCalls = EchoUpstreamResource.sickCalls.get();
        assertTrue(sickCalls >= 3, "the sick instance got " + sickCalls + " calls");
        given().auth().oauth2(AdminTest.adminToken()).get("/admin/upstreams").then()
                .body("upstreams.find { it.name == 'pair' }.instances.find { it.address == '" + sick + "' }.ejected",
                        equalTo(true));
        given().get("/q/metrics").then().body(containsString("meridian_gateway_upstream_ejected{upstream=\"pair\"} 1.0"));
        for (int i = 0; i < 20; i++) {
            given().get("/v1/pair/again").then().statusCode(200);
        }
        assertEquals(sickCalls, EchoUpstreamResource.sickCalls.get(), "an ejected instance got traffic");
    }

    @Test
    void postsWithAnIdempotencyKeyAreRetriedWithTheirBody() {
        int before = EchoUpstreamResource.flakyCalls.get();
        for (int i = 0; i < 4; i++) {
            given().header("Idempotency-Key", "key-" + i).body("payload-" + i).post("/flaky")
                    .then().statusCode(200).body(containsString("body=payload-" + i));
        }
        // every other upstream call fails, so some of the four needed a second call
        assertTrue(EchoUpstreamResource.flakyCalls.get() - before > 4);
    }
}
