package dev.meridian.gateway;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Failing upstream instances: outlier ejection, active health checks, refusal only when no instance is left, and
 * retries of requests that may be repeated, with an instance killed under concurrent load.
 */
@QuarkusTest
class ResilienceTest {

    @TestHTTPResource("/")
    URL gateway;

    @Test
    void anUpstreamWithNoInstanceLeftIsRefusedAtOnceUntilItsInstanceReturns() throws Exception {
        EchoUpstreamResource.brokenHealed = false;
        // POSTs are sent once, so each failure is one upstream call whose own 503 reaches the client
        for (int i = 0; i < 3; i++) {
            given().body("x").post("/broken").then().statusCode(503).body(equalTo("broken"));
        }
        int calls = EchoUpstreamResource.brokenCalls.get();
        given().body("x").post("/broken").then().statusCode(503).contentType("application/problem+json")
                .header("Retry-After", "2")
                .body("type", containsString("upstream-circuit-open"));
        assertEquals(calls, EchoUpstreamResource.brokenCalls.get(), "an ejected instance still got the request");
        // over HTTP/2, with a body the gateway buffered to be able to repeat it, the refusal is answered too
        HttpResponse<String> buffered = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        gateway.toURI().resolve("broken")).header("Idempotency-Key", "k1").timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(HttpClient.Version.HTTP_2, buffered.version());
        assertEquals(503, buffered.statusCode());
        assertTrue(buffered.body().contains("upstream-circuit-open"), buffered.body());
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
    void anInstanceThatIsReadyButFailsRequestsIsEjectedAndClientsNeverSeeIt() {
        String sick = "127.0.0.1:" + EchoUpstreamResource.sickPort;
        for (int i = 0; i < 20; i++) {
            given().get("/v1/pair/" + i).then().statusCode(200).body("path", equalTo("/v1/pair/" + i));
        }
        int sickCalls = EchoUpstreamResource.sickCalls.get();
        assertTrue(sickCalls >= 3, "the sick instance got " + sickCalls + " calls");
        given().auth().oauth2(AdminTest.adminToken()).get("/admin/upstreams").then()
                .body("upstreams.find { it.name == 'pair' }.instances.find { it.address == '" + sick + "' }.ejected",
                        equalTo(true))
                .body("upstreams.find { it.name == 'pair' }.breaker", equalTo("closed"));
        given().get("/q/metrics").then().body(containsString("meridian_gateway_upstream_ejected{upstream=\"pair\"} 1.0"));
        for (int i = 0; i < 20; i++) {
            given().get("/v1/pair/again").then().statusCode(200);
        }
        assertEquals(sickCalls, EchoUpstreamResource.sickCalls.get(), "an ejected instance got traffic");
    }

    @Test
    void anInstanceNothingListensOnIsOutOfRotationBeforeTrafficFindsIt() {
        // inference lists a dead instance first; the health check found it down at start
        given().auth().oauth2(AdminTest.adminToken()).get("/admin/upstreams").then()
                .body("upstreams.find { it.name == 'inference' }.instances[0].down", equalTo(true))
                .body("upstreams.find { it.name == 'inference' }.instances[1].down", equalTo(false));
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

    /**
     * One of two instances killed under steady concurrent POSTs of a repeatable route: requests it held go to the
     * other instance, and no client sees a failure; restarted, it is back in rotation within a health-check interval.
     * The same POSTs on a route that did not declare them repeatable are sent once, and fail when cut.
     */
    @Test
    void anInstanceKilledUnderLoadCostsARepeatableRouteNoRequest() throws Exception {
        Map<Integer, Integer> repeatable = new ConcurrentHashMap<>();
        Map<Integer, Integer> once = new ConcurrentHashMap<>();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        // HTTP/2 (h2c) as the JDK's client speaks it by default: the requests of one client share a connection
        HttpClient http = HttpClient.newBuilder().executor(clients).build();
        try {
            AtomicBoolean stop = new AtomicBoolean();
            List<Future<?>> drivers = new ArrayList<>();
            ExecutorService loops = Executors.newFixedThreadPool(64);
            for (int c = 0; c < 64; c++) {
                String path = c % 8 == 0 ? "v1/steady-once" : "v1/steady";
                Map<Integer, Integer> statuses = c % 8 == 0 ? once : repeatable;
                int client = c;
                drivers.add(loops.submit(() -> {
                    for (int n = 0; !stop.get(); n++) {
                        String body = "client-" + client + "-" + n;
                        HttpResponse<String> response = http.send(HttpRequest.newBuilder(gateway.toURI().resolve(path))
                                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(), HttpResponse.BodyHandlers.ofString());
                        int status = response.statusCode() == 200 && !response.body().contains("body=" + body)
                                && !response.body().contains("\"body\":\"" + body + "\"") ? -1 : response.statusCode();
                        statuses.merge(status, 1, Integer::sum);
                    }
                    return null;
                }));
            }
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> EchoUpstreamResource.killableCalls.get() > 100);
            EchoUpstreamResource.kill();
            int atKill = sum(repeatable);
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> sum(repeatable) > atKill + 1000);
            stop.set(true);
            for (Future<?> driver : drivers) {
                driver.get(60, TimeUnit.SECONDS);
            }
            loops.shutdownNow();
            int total = sum(repeatable);
            assertEquals(Map.of(200, total), new TreeMap<>(repeatable), "a repeatable route lost requests");
            // sent once: the requests the killed instance held are lost (502), the rest go through
            assertTrue(once.getOrDefault(200, 0) > 0 && once.keySet().stream().allMatch(s -> s == 200 || s == 502),
                    "the once route: " + once);
        } finally {
            clients.shutdownNow();
        }

        // out of rotation: ejected for the requests it cut, or down once a connection or health check was refused
        Map<String, Object> killed = given().auth().oauth2(AdminTest.adminToken()).get("/admin/upstreams").jsonPath()
                .getMap("upstreams.find { it.name == 'steady' }.instances[0]");
        assertTrue(Boolean.TRUE.equals(killed.get("ejected")) || Boolean.TRUE.equals(killed.get("down")),
                "the killed instance is still in rotation: " + killed);
        EchoUpstreamResource.startKillable();
        int before = EchoUpstreamResource.killableCalls.get();
        // the health check runs every 2 s: within an interval (plus slack for a loaded machine) it has traffic again
        Awaitility.await().atMost(Duration.ofSeconds(4)).pollInterval(Duration.ofMillis(50)).until(() -> {
            given().body("back").post("/v1/steady").then().statusCode(200);
            return EchoUpstreamResource.killableCalls.get() > before;
        });
    }

    private static int sum(Map<Integer, Integer> statuses) {
        return statuses.values().stream().mapToInt(Integer::intValue).sum();
    }
}
