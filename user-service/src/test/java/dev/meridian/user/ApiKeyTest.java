package dev.meridian.user;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.meridian.user.UserApi.claims;
import static dev.meridian.user.UserApi.me;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
class ApiKeyTest {

    @Test
    void keyIsShownOnceExchangesForAJwtAndStopsWorkingWhenRevoked() {
        String owner = UserApi.newUser().getString("access_token");
        var created = given().auth().oauth2(owner).contentType(ContentType.JSON).body(Map.of("name", "ci"))
                .post("/v1/users/me/api-keys")
                .then().statusCode(201).body("key", startsWith("mk_")).extract().jsonPath();
        String key = created.getString("key");
        assertTrue(key.length() >= 3 + 43, "key shorter than 256 bits: " + key);
        assertEquals(key.substring(0, 10), created.getString("prefix"));

        given().auth().oauth2(owner).get("/v1/users/me/api-keys").then().statusCode(200)
                .body("", hasSize(1)).body("[0]", not(hasKey("key"))).body("[0].prefix", equalTo(key.substring(0, 10)));

        var exchanged = exchange(key).then().statusCode(200).extract().jsonPath();
        assertNull(exchanged.getString("refresh_token"), "an API key exchange gives no refresh token");
        String machineToken = exchanged.getString("access_token");
        assertEquals(claims(owner).getString("sub"), claims(machineToken).getString("sub"));
        assertEquals(created.getString("id"), claims(machineToken).getString("akid"));
        me(machineToken).then().statusCode(200);

        given().auth().oauth2(owner).delete("/v1/users/me/api-keys/" + created.getString("id")).then().statusCode(204);
        exchange(key).then().statusCode(400).body("error", equalTo("invalid_grant"));
        // the token minted from the key dies with it, long before its expiry
        me(machineToken).then().statusCode(401);
        me(owner).then().statusCode(200);
    }

    @Test
    void anotherUsersKeyCannotBeRevoked() {
        String alice = UserApi.newUser().getString("access_token");
        String bob = UserApi.newUser().getString("access_token");
        String id = given().auth().oauth2(alice).contentType(ContentType.JSON).body(Map.of("name", "mine"))
                .post("/v1/users/me/api-keys").then().statusCode(201).extract().path("id");
        given().auth().oauth2(bob).delete("/v1/users/me/api-keys/" + id).then().statusCode(404);
        given().auth().oauth2(alice).get("/v1/users/me/api-keys").then().body("", hasSize(1));
    }

    @Test
    void badKeysAndNamesAreRefused() {
        exchange("mk_not-a-real-key").then().statusCode(400).body("error", equalTo("invalid_grant"));
        exchange("sk-openai-style").then().statusCode(400).body("error", equalTo("invalid_request"));
        String owner = UserApi.newUser().getString("access_token");
        given().auth().oauth2(owner).contentType(ContentType.JSON).body(Map.of("name", " "))
                .post("/v1/users/me/api-keys").then().statusCode(422).body("field", equalTo("name"));
        given().auth().oauth2(owner).contentType(ContentType.JSON)
                .body(Map.of("name", "old", "expiresAt", "2020-01-01T00:00:00Z"))
                .post("/v1/users/me/api-keys").then().statusCode(422).body("field", equalTo("expiresAt"));
    }

    static io.restassured.response.Response exchange(String key) {
        return given().contentType(ContentType.JSON).body(Map.of("grant_type", "api_key", "api_key", key))
                .post("/v1/auth/token");
    }
}
