package dev.meridian.user;

import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;

/** What a client of user-service does, through its real HTTP API. */
final class UserApi {

    static final String PASSWORD = "correct horse battery";
    static final String ADMIN_EMAIL = "admin@meridian.test";
    static final String ADMIN_PASSWORD = "admin-password-for-tests";

    private UserApi() {
    }

    static String uniqueEmail() {
        return "user-" + UUID.randomUUID() + "@example.com";
    }

    static Response signUp(String email, String password, String displayName) {
        return given().contentType(ContentType.JSON)
                .body(Map.of("email", email, "password", password, "displayName", displayName))
                .post("/v1/users");
    }

    /** Signs up a fresh user and logs in; returns the token response. */
    static JsonPath newUser() {
        String email = uniqueEmail();
        signUp(email, PASSWORD, "Test User").then().statusCode(201);
        return login(email, PASSWORD).then().statusCode(200).extract().jsonPath();
    }

    static Response login(String email, String password) {
        return given().contentType(ContentType.JSON).body(Map.of("email", email, "password", password))
                .post("/v1/auth/token");
    }

    static String adminToken() {
        return login(ADMIN_EMAIL, ADMIN_PASSWORD).then().statusCode(200).extract().path("access_token");
    }

    static Response me(String accessToken) {
        return given().auth().oauth2(accessToken).get("/v1/users/me");
    }

    static JsonPath claims(String jwt) {
        return new JsonPath(new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]), StandardCharsets.UTF_8));
    }

    static JsonPath header(String jwt) {
        return new JsonPath(new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[0]), StandardCharsets.UTF_8));
    }

    static String userId(String accessToken) {
        return claims(accessToken).getString("sub");
    }
}
