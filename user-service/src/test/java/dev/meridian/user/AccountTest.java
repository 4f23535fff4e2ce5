package dev.meridian.user;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.meridian.user.UserApi.PASSWORD;
import static dev.meridian.user.UserApi.login;
import static dev.meridian.user.UserApi.me;
import static dev.meridian.user.UserApi.signUp;
import static dev.meridian.user.UserApi.uniqueEmail;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

@QuarkusTest
class AccountTest {

    @Test
    void patchWithCurrentVersionSucceedsAndAStaleOneIs412() {
        String token = UserApi.newUser().getString("access_token");
        String etag = me(token).then().statusCode(200).extract().header("ETag");
        String newTag = given().auth().oauth2(token).contentType(ContentType.JSON).header("If-Match", etag)
                .body(Map.of("displayName", "Renamed")).patch("/v1/users/me")
                .then().statusCode(200).body("displayName", equalTo("Renamed")).extract().header("ETag");
        assertNotEquals(etag, newTag);
        given().auth().oauth2(token).contentType(ContentType.JSON).header("If-Match", etag)
                .body(Map.of("displayName", "Lost update")).patch("/v1/users/me")
                .then().statusCode(412).contentType("application/problem+json");
        me(token).then().body("displayName", equalTo("Renamed"));
    }

    @Test
    void patchCannotTouchAnythingButTheProfile() {
        String token = UserApi.newUser().getString("access_token");
        given().auth().oauth2(token).contentType(ContentType.JSON).body(Map.of("tier", "pro")).patch("/v1/users/me")
                .then().statusCode(400).body("field", equalTo("tier"));
        me(token).then().body("tier", equalTo("free"));
    }

    @Test
    void passwordChangeNeedsTheCurrentPasswordAndEndsOtherSessions() {
        String email = uniqueEmail();
        signUp(email, PASSWORD, "Ada").then().statusCode(201);
        JsonPath tokens = login(email, PASSWORD).then().statusCode(200).extract().jsonPath();
        String access = tokens.getString("access_token");

        change(access, "not my password", "a brand new password").then().statusCode(403)
                .body("field", equalTo("currentPassword"));
        change(access, PASSWORD, "short").then().statusCode(422).body("detail", containsString("password-too-short"));
        change(access, PASSWORD, "a brand new password").then().statusCode(204);

        TokenTest.refresh(tokens.getString("refresh_token")).then().statusCode(400);
        login(email, PASSWORD).then().statusCode(400);
        login(email, "a brand new password").then().statusCode(200);
    }

    @Test
    void aUserOnlyEverSeesTheirOwnAccount() {
        JsonPath alice = UserApi.newUser();
        JsonPath bob = UserApi.newUser();
        String aliceId = UserApi.userId(alice.getString("access_token"));
        me(bob.getString("access_token")).then().statusCode(200)
                .body("id", equalTo(UserApi.userId(bob.getString("access_token"))));
        // bob cannot reach alice through the admin API either
        given().auth().oauth2(bob.getString("access_token")).get("/v1/admin/users/" + aliceId)
                .then().statusCode(403).contentType("application/problem+json");
        given().auth().oauth2(bob.getString("access_token")).get("/v1/admin/users")
                .then().statusCode(403);
        List<String> none = List.of();
        given().auth().oauth2(bob.getString("access_token")).get("/v1/users/me/api-keys")
                .then().statusCode(200).body("", equalTo(none));
    }

    private static io.restassured.response.Response change(String token, String current, String next) {
        return given().auth().oauth2(token).contentType(ContentType.JSON)
                .body(Map.of("currentPassword", current, "newPassword", next)).post("/v1/users/me/password");
    }
}
