package dev.meridian.gateway;

import dev.meridian.revocation.TokenRevocation;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.UUID;

import static dev.meridian.gateway.TestTokens.claims;
import static dev.meridian.gateway.TestTokens.sign;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** API keys exchanged for tokens, and tokens cut off through the Redis deny-list. */
@QuarkusTest
class RevocationTest {

    @Inject
    RedisDataSource redis;

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
        redis.value(String.class).setex(TokenRevocation.apiKeyKey(EchoUpstreamResource.API_KEY_USER, EchoUpstreamResource.API_KEY_ID), 60,
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
}
