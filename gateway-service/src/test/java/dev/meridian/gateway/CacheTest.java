package dev.meridian.gateway;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.emptyString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The response cache in front of a real upstream whose answers carry the caching headers each test asks for. */
@QuarkusTest
class CacheTest {

    private static int calls(String uri) {
        var count = EchoUpstreamResource.cachedCalls.get(uri);
        return count == null ? 0 : count.get();
    }

    private static String unique(String path) {
        return path + "-" + UUID.randomUUID();
    }

    @Test
    void freshAnswersComeFromTheCacheWithAgeAnd304ForAMatchingETag() {
        String path = unique("/v1/cached/fresh");
        String uri = path + "?cc=public,max-age=60&etag=v1";
        given().urlEncodingEnabled(false).get(uri).then().statusCode(200).header("X-Cache", "MISS")
                .body("call", equalTo(1));
        given().urlEncodingEnabled(false).get(uri).then().statusCode(200).header("X-Cache", "HIT")
                .header("ETag", "\"v1\"").header("Age", notNullValue()).header("Cache-Control", "public,max-age=60")
                .body("call", equalTo(1));
        given().urlEncodingEnabled(false).header("If-None-Match", "W/\"v1\"").get(uri)
                .then().statusCode(304).header("X-Cache", "HIT").body(emptyString());
        given().urlEncodingEnabled(false).head(uri).then().statusCode(200).header("X-Cache", "HIT");
        // the client's own validator never reaches the upstream: the cache needs the full answer
        given().urlEncodingEnabled(false).header("If-None-Match", "\"v1\"").get(path + "?cc=public,max-age=60&etag=v2")
                .then().statusCode(200).body("conditional", nullValue());
        assertEquals(1, calls(uri));
    }

    @Test
    void noStoreNoCacheAndAnswersWithoutFreshnessAreNotKept() {
        for (String cc : List.of("no-store", "no-cache,max-age=60", "", "public")) {
            String uri = unique("/v1/cached/uncached") + "?cc=" + cc;
            given().urlEncodingEnabled(false).get(uri).then().statusCode(200).header("X-Cache", "MISS");
            given().urlEncodingEnabled(false).get(uri).then().statusCode(200).header("X-Cache", "MISS")
                    .body("call", equalTo(2));
        }
    }

    @Test
    void privateAnswersAreKeptPerUserAndUnmarkedAnswersToUsersNotAtAll() {
        String alice = UUID.randomUUID().toString();
        String bob = UUID.randomUUID().toString();
        String uri = unique("/v1/private-cached/me") + "?cc=private,max-age=60";
        String aliceToken = TestTokens.sign(TestTokens.claims(alice));
        given().urlEncodingEnabled(false).auth().oauth2(aliceToken).get(uri).then().header("X-Cache", "MISS")
                .body("user", equalTo(alice));
        given().urlEncodingEnabled(false).auth().oauth2(aliceToken).get(uri).then().header("X-Cache", "HIT")
                .body("user", equalTo(alice));
        given().urlEncodingEnabled(false).auth().oauth2(TestTokens.sign(TestTokens.claims(bob))).get(uri)
                .then().header("X-Cache", "MISS").body("user", equalTo(bob));
        assertEquals(2, calls(uri));

        // max-age alone on an answer to a user: a shared cache must not keep it
        String unmarked = unique("/v1/private-cached/unmarked") + "?cc=max-age=60";
        given().urlEncodingEnabled(false).auth().oauth2(aliceToken).get(unmarked).then().header("X-Cache", "MISS");
        given().urlEncodingEnabled(false).auth().oauth2(aliceToken).get(unmarked).then().header("X-Cache", "MISS");
        assertEquals(2, calls(unmarked));
    }

    @Test
    void varyKeepsOneAnswerPerHeaderValue() {
        String uri = unique("/v1/cached/vary") + "?cc=public,max-age=60&vary=Accept-Language";
        given().urlEncodingEnabled(false).header("Accept-Language", "en").get(uri).then().header("X-Cache", "MISS");
        given().urlEncodingEnabled(false).header("Accept-Language", "en").get(uri).then().header("X-Cache", "HIT")
                .body("lang", equalTo("en"));
        given().urlEncodingEnabled(false).header("Accept-Language", "fr").get(uri).then().header("X-Cache", "MISS")
                .body("lang", equalTo("fr"));
        given().urlEncodingEnabled(false).header("Accept-Language", "fr").get(uri).then().header("X-Cache", "HIT")
                .body("lang", equalTo("fr"));
        assertEquals(2, calls(uri));
    }

    @Test
    void anAdminPurgesAPathWithAllItsQueriesOrEverythingUnderAPrefix() {
        String dir = unique("/v1/cached/purge");
        String one = dir + "/one?cc=public,max-age=60";
        String two = dir + "/two?cc=public,max-age=60";
        for (String uri : List.of(one, two, one, two)) {
            given().urlEncodingEnabled(false).get(uri).then().statusCode(200);
        }
        given().urlEncodingEnabled(false).get(one).then().header("X-Cache", "HIT");
        given().auth().oauth2(AdminTest.adminToken()).queryParam("path", dir + "/one")
                .delete("/admin/cache").then().statusCode(200).body("purged", greaterThan(0));
        given().urlEncodingEnabled(false).get(one).then().header("X-Cache", "MISS");
        given().urlEncodingEnabled(false).get(two).then().header("X-Cache", "HIT");

        given().auth().oauth2(AdminTest.adminToken()).queryParam("prefix", dir)
                .delete("/admin/cache").then().statusCode(200).body("purged", greaterThan(0));
        given().urlEncodingEnabled(false).get(one).then().header("X-Cache", "MISS");
        given().urlEncodingEnabled(false).get(two).then().header("X-Cache", "MISS");
        given().auth().oauth2(AdminTest.adminToken()).queryParam("path", "no-slash").delete("/admin/cache")
                .then().statusCode(400);
    }

    @Test
    void aHundredConcurrentMissesMakeOneUpstreamCall() throws Exception {
        String uri = unique("/v1/cached/herd") + "?cc=public,max-age=60&delay=500";
        ExecutorService pool = Executors.newFixedThreadPool(100);
        try {
            List<Callable<Response>> requests = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                requests.add(() -> given().urlEncodingEnabled(false).get(uri));
            }
            for (Future<Response> response : pool.invokeAll(requests)) {
                response.get().then().statusCode(200).body("call", equalTo(1));
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, calls(uri));
    }

    @Test
    void aStaleAnswerIsServedWhileTheUpstreamFailsThenReplaced() {
        String uri = unique("/v1/cached/stale") + "?cc=public,max-age=1,stale-if-error=60";
        given().urlEncodingEnabled(false).get(uri).then().header("X-Cache", "MISS").body("call", equalTo(1));
        EchoUpstreamResource.cachedDown = true;
        try {
            // HIT while fresh; once it is not, the failing upstream is covered by the stored answer
            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() ->
                    given().urlEncodingEnabled(false).get(uri).header("X-Cache").equals("STALE"));
            given().urlEncodingEnabled(false).get(uri).then().statusCode(200).header("X-Cache", "STALE")
                    .body("call", equalTo(1));
        } finally {
            EchoUpstreamResource.cachedDown = false;
        }
        // the failures opened the upstream's breaker, which kept the stale answer coming; once it lets a trial
        // through, the fresh answer replaces the stored one
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() ->
                given().urlEncodingEnabled(false).get(uri).header("X-Cache").equals("MISS"));
        given().urlEncodingEnabled(false).get(uri).then().statusCode(200).body("call", equalTo(calls(uri)));
    }
}
