package dev.meridian.user;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.meridian.user.TokenTest.refresh;
import static dev.meridian.user.UserApi.PASSWORD;
import static dev.meridian.user.UserApi.adminToken;
import static dev.meridian.user.UserApi.claims;
import static dev.meridian.user.UserApi.login;
import static dev.meridian.user.UserApi.me;
import static dev.meridian.user.UserApi.signUp;
import static dev.meridian.user.UserApi.uniqueEmail;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Role and tier changes take effect at once: tokens issued before are refused, a refresh brings the new claims. */
@QuarkusTest
class ClaimChangeTest {

    @Test
    void aDemotedAdminsOldTokenStopsWorkingAndARefreshedOneShowsTheNewRoles() {
        String email = uniqueEmail();
        String id = signUp(email, PASSWORD, "Soon demoted").then().statusCode(201).extract().path("id");
        String admin = adminToken();
        patch(admin, id, Map.of("roles", List.of("user", "admin")));
        JsonPath tokens = login(email, PASSWORD).then().statusCode(200).extract().jsonPath();
        String old = tokens.getString("access_token");
        given().auth().oauth2(old).get("/v1/admin/users").then().statusCode(200);

        patch(admin, id, Map.of("roles", List.of("user")));
        // right away, not at the token's expiry: the old admin cannot re-promote themselves
        given().auth().oauth2(old).get("/v1/admin/users").then().statusCode(401);
        given().auth().oauth2(old).contentType(ContentType.JSON).body(Map.of("roles", List.of("user", "admin")))
                .patch("/v1/admin/users/" + id).then().statusCode(401);

        // a refresh in the same second as the change still yields a working token, with the new roles
        String fresh = refresh(tokens.getString("refresh_token")).then().statusCode(200).extract().path("access_token");
        assertEquals(List.of("user"), claims(fresh).getList("groups"));
        me(fresh).then().statusCode(200);
        given().auth().oauth2(fresh).get("/v1/admin/users").then().statusCode(403);
    }

    @Test
    void aTierChangeRevokesOldTokensAndARefreshCarriesTheNewTier() {
        String email = uniqueEmail();
        String id = signUp(email, PASSWORD, "Upgraded").then().statusCode(201).extract().path("id");
        JsonPath tokens = login(email, PASSWORD).then().statusCode(200).extract().jsonPath();
        String old = tokens.getString("access_token");
        assertEquals("free", claims(old).getString("tier"));
        me(old).then().statusCode(200);

        patch(adminToken(), id, Map.of("tier", "pro"));
        me(old).then().statusCode(401);

        String fresh = refresh(tokens.getString("refresh_token")).then().statusCode(200).extract().path("access_token");
        assertEquals("pro", claims(fresh).getString("tier"));
        me(fresh).then().statusCode(200);
        // and a new login right after works too
        me(login(email, PASSWORD).then().statusCode(200).extract().<String>path("access_token")).then().statusCode(200);
    }

    private static void patch(String admin, String id, Map<String, Object> body) {
        given().auth().oauth2(admin).contentType(ContentType.JSON).body(body).patch("/v1/admin/users/" + id)
                .then().statusCode(200);
    }
}
