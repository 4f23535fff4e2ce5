package dev.meridian.gateway;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.smallrye.jwt.algorithm.SignatureAlgorithm;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.util.Base64;
import java.util.Set;
import java.util.UUID;
import javax.crypto.spec.SecretKeySpec;

import static dev.meridian.gateway.TestTokens.claims;
import static dev.meridian.gateway.TestTokens.sign;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

/** Identity at the edge: only verified tokens make one, forged headers never reach an upstream. */
@QuarkusTest
class IdentityTest {

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
    void adminRoutesNeedTheAdminRole() {
        String user = UUID.randomUUID().toString();
        given().auth().oauth2(sign(claims(user))).get("/v1/admin/users").then().statusCode(403)
                .contentType("application/problem+json");
        given().auth().oauth2(sign(claims(user).groups(Set.of("user", "admin")))).get("/v1/admin/users")
                .then().statusCode(200).body("path", equalTo("/v1/admin/users"));

        // inference-service's dead-letter replay: an admin route too, to the inference upstream
        String replay = "/v1/admin/dead-letters/users.v1/replay";
        given().post(replay).then().statusCode(401).header("WWW-Authenticate", "Bearer realm=\"meridian\"");
        given().auth().oauth2(sign(claims(user))).post(replay).then().statusCode(403)
                .contentType("application/problem+json");
        String admin = sign(claims(user).groups(Set.of("user", "admin")));
        given().auth().oauth2(admin).post(replay).then().statusCode(200)
                .body("method", equalTo("POST")).body("path", equalTo(replay))
                .body("headers.authorization", equalTo("Bearer " + admin));
        given().auth().oauth2(admin).get("/admin/routes").then().statusCode(200)
                .body("routes.find { it.path == '/v1/admin/dead-letters' }.upstream", equalTo("inference"))
                .body("routes.find { it.path == '/v1/admin/dead-letters' }.auth", equalTo("admin"));
        // only that prefix, ending at a segment: nothing else under /v1/admin reaches inference-service
        given().auth().oauth2(admin).post("/v1/admin/dead-lettersx").then().statusCode(404);
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
