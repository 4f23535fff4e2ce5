package dev.meridian.gateway;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.UUID;

import static dev.meridian.gateway.TestTokens.claims;
import static dev.meridian.gateway.TestTokens.sign;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The key set tokens are verified with: fetched sparingly, kept through a user-service outage. */
@QuarkusTest
class JwksTest {

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
}
