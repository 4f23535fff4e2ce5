package dev.meridian.user;

import dev.meridian.user.service.SigningKeyService;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.jwt.algorithm.SignatureAlgorithm;
import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.build.JwtClaimsBuilder;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.util.Base64;
import java.util.Set;
import java.util.UUID;

import static dev.meridian.user.UserApi.me;
import static dev.meridian.user.UserApi.newUser;
import static dev.meridian.user.UserApi.userId;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

/** Identity only from verified tokens: everything that is not a valid, current RS256 token of ours is 401. */
@QuarkusTest
class AccessTokenSecurityTest {

    @Inject
    SigningKeyService keys;

    @Test
    void noTokenIs401WithAChallengeAndAProblem() {
        given().get("/v1/users/me").then().statusCode(401)
                .header("WWW-Authenticate", "Bearer realm=\"meridian\"")
                .contentType("application/problem+json")
                .body("status", equalTo(401));
    }

    @Test
    void forgedTokensAre401() throws Exception {
        String real = newUser().getString("access_token");
        String user = userId(real);
        String[] parts = real.split("\\.");

        // alg none
        String none = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + parts[1] + ".";
        me(none).then().statusCode(401);

        // HS256 keyed with the (public) JWKS document, the classic key-confusion attack
        String hs256 = claims(user).jws().keyId(UserApi.header(real).getString("kid"))
                .algorithm(SignatureAlgorithm.HS256)
                .sign(new SecretKeySpec(given().get("/.well-known/jwks.json").asString().getBytes(StandardCharsets.UTF_8),
                        "HmacSHA256"));
        me(hs256).then().statusCode(401);

        // tampered payload: admin role added after signing
        String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                .replace("\"groups\":[\"user\"]", "\"groups\":[\"user\",\"admin\"]");
        me(parts[0] + "." + b64(payload) + "." + parts[2]).then().statusCode(401);

        // signed by a key that is not ours, with our kid
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        String wrongKey = claims(user).jws().keyId(UserApi.header(real).getString("kid"))
                .sign(rsa.generateKeyPair().getPrivate());
        me(wrongKey).then().statusCode(401);

        me(real).then().statusCode(200);
    }

    @Test
    void expiredWrongIssuerAndWrongAudienceAre401() {
        String user = userId(newUser().getString("access_token"));
        Instant past = Instant.now().minusSeconds(3600);
        me(keys.sign(claims(user).issuedAt(past.minusSeconds(900)).expiresAt(past))).then().statusCode(401);
        me(keys.sign(claims(user).issuer("https://evil.example"))).then().statusCode(401);
        me(keys.sign(claims(user).audience("someone-else"))).then().statusCode(401);
        me(keys.sign(claims(user))).then().statusCode(200);
    }

    private static JwtClaimsBuilder claims(String userId) {
        Instant now = Instant.now();
        return Jwt.issuer("https://meridian.dev/user-service").subject(userId).audience("meridian")
                .issuedAt(now).expiresAt(now.plusSeconds(600)).claim("jti", UUID.randomUUID().toString())
                .groups(Set.of("user")).claim("tier", "free");
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
