package dev.meridian.user;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.meridian.user.UserApi.PASSWORD;
import static dev.meridian.user.UserApi.claims;
import static dev.meridian.user.UserApi.header;
import static dev.meridian.user.UserApi.login;
import static dev.meridian.user.UserApi.me;
import static dev.meridian.user.UserApi.signUp;
import static dev.meridian.user.UserApi.uniqueEmail;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

@QuarkusTest
class TokenTest {

    @Test
    void loginIssuesAnRs256AccessTokenWithTheAgreedClaimsAndARefreshToken() {
        String email = uniqueEmail();
        String id = signUp(email, PASSWORD, "Ada").then().statusCode(201).extract().path("id");
        JsonPath tokens = login(email, PASSWORD).then().statusCode(200)
                .header("Cache-Control", "no-store")
                .body("token_type", equalTo("Bearer"))
                .body("expires_in", equalTo(900))
                .body("refresh_token", notNullValue())
                .extract().jsonPath();
        String jwt = tokens.getString("access_token");
        assertEquals("RS256", header(jwt).getString("alg"));
        List<String> published = given().get("/.well-known/jwks.json").jsonPath().getList("keys.kid");
        assertEquals(true, published.contains(header(jwt).getString("kid")), "kid not in the JWKS: " + published);
        JsonPath claims = claims(jwt);
        assertEquals(id, claims.getString("sub"));
        assertEquals("https://meridian.dev/user-service", claims.getString("iss"));
        assertEquals("meridian", claims.getString("aud"));
        assertEquals(900, claims.getLong("exp") - claims.getLong("iat"));
        assertEquals(List.of("user"), claims.getList("groups"));
        assertEquals("free", claims.getString("tier"));
        assertNotEquals(null, claims.getString("jti"));
        assertEquals(43, tokens.getString("refresh_token").length(), "256-bit refresh token, base64url");
    }

    @Test
    void oauth2FormGrantsWork() {
        String email = uniqueEmail();
        signUp(email, PASSWORD, "Ada").then().statusCode(201);
        String refresh = given().contentType(ContentType.URLENC)
                .formParams(Map.of("grant_type", "password", "username", email, "password", PASSWORD))
                .post("/v1/auth/token").then().statusCode(200).extract().path("refresh_token");
        given().contentType(ContentType.URLENC)
                .formParams(Map.of("grant_type", "refresh_token", "refresh_token", refresh))
                .post("/v1/auth/token").then().statusCode(200).body("access_token", notNullValue());
        given().contentType(ContentType.URLENC).formParams(Map.of("grant_type", "client_credentials"))
                .post("/v1/auth/token").then().statusCode(400).body("error", equalTo("unsupported_grant_type"));
        given().contentType(ContentType.URLENC).formParams(Map.of("username", email))
                .post("/v1/auth/token").then().statusCode(400).body("error", equalTo("invalid_request"));
    }

    @Test
    void unknownEmailAndWrongPasswordAnswerIdentically() {
        String email = uniqueEmail();
        signUp(email, PASSWORD, "Ada").then().statusCode(201);
        String wrongPassword = login(email, "wrong password here").then().statusCode(400).extract().asString();
        String unknownEmail = login(uniqueEmail(), "wrong password here").then().statusCode(400).extract().asString();
        assertEquals(wrongPassword, unknownEmail);
        assertEquals("invalid_grant", new JsonPath(wrongPassword).getString("error"));
    }

    @Test
    void refreshRotatesAndReuseRevokesTheWholeFamily() {
        String email = uniqueEmail();
        signUp(email, PASSWORD, "Ada").then().statusCode(201);
        String first = login(email, PASSWORD).then().statusCode(200).extract().path("refresh_token");
        String second = refresh(first).then().statusCode(200).extract().path("refresh_token");
        assertNotEquals(first, second);

        // a thief replays the used token: refused, and the family dies with it
        refresh(first).then().statusCode(400).body("error", equalTo("invalid_grant"));
        refresh(second).then().statusCode(400).body("error", equalTo("invalid_grant"));
        // other logins are untouched
        String other = login(email, PASSWORD).then().statusCode(200).extract().path("refresh_token");
        refresh(other).then().statusCode(200);
    }

    @Test
    void logoutRevokesTheFamily() {
        String email = uniqueEmail();
        signUp(email, PASSWORD, "Ada").then().statusCode(201);
        String first = login(email, PASSWORD).then().statusCode(200).extract().path("refresh_token");
        String second = refresh(first).then().statusCode(200).extract().path("refresh_token");
        given().contentType(ContentType.JSON).body(Map.of("refresh_token", first)).post("/v1/auth/logout")
                .then().statusCode(204);
        refresh(second).then().statusCode(400);
        given().contentType(ContentType.JSON).body(Map.of("refresh_token", first)).post("/v1/auth/logout")
                .then().statusCode(204);
    }

    @Test
    void repeatedFailuresBackOffWithoutLockingOutForever() {
        String email = uniqueEmail();
        signUp(email, PASSWORD, "Ada").then().statusCode(201);
        for (int i = 0; i < 7; i++) {
            login(email, "not the password " + i).then().statusCode(400);
        }
        // during the back-off even the right password is refused, with the same answer as a wrong one
        login(email, PASSWORD).then().statusCode(400).body("error", equalTo("invalid_grant"));
    }

    @Test
    void disabledOrMalformedRequestsGetOAuthErrors() {
        given().contentType(ContentType.JSON).body("{}").post("/v1/auth/token")
                .then().statusCode(400).body("error", equalTo("invalid_request"));
        refresh("made-up").then().statusCode(400).body("error", equalTo("invalid_grant"));
    }

    @Test
    void accessTokenOpensTheAccount() {
        JsonPath tokens = UserApi.newUser();
        me(tokens.getString("access_token")).then().statusCode(200).header("ETag", notNullValue());
    }

    static io.restassured.response.Response refresh(String token) {
        return given().contentType(ContentType.JSON).body(Map.of("refresh_token", token)).post("/v1/auth/refresh");
    }
}
