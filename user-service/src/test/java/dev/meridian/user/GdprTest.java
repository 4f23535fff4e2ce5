package dev.meridian.user;

import dev.meridian.events.EventType;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.meridian.user.UserApi.PASSWORD;
import static dev.meridian.user.UserApi.adminToken;
import static dev.meridian.user.UserApi.login;
import static dev.meridian.user.UserApi.me;
import static dev.meridian.user.UserApi.signUp;
import static dev.meridian.user.UserApi.uniqueEmail;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

@QuarkusTest
class GdprTest {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void exportHoldsProfileSessionsKeysAndAuditButNoSecrets() {
        String email = uniqueEmail();
        signUp(email, PASSWORD, "Exporter").then().statusCode(201);
        String token = login(email, PASSWORD).then().statusCode(200).extract().path("access_token");
        given().auth().oauth2(token).contentType(ContentType.JSON).body(Map.of("name", "laptop"))
                .post("/v1/users/me/api-keys").then().statusCode(201);

        String export = given().auth().oauth2(token).get("/v1/users/me/export").then().statusCode(200)
                .header("Content-Disposition", containsString("attachment"))
                .body("profile.email", equalTo(email))
                .body("sessions", hasSize(1))
                .body("apiKeys.name", hasItem("laptop"))
                .body("audit.action", hasItem("apikey.create"))
                .extract().asString();
        assertFalse(export.contains("argon2"), "export leaks the password hash");
        assertFalse(export.contains("\"key\""), "export leaks an API key");
    }

    @Test
    void erasureNeedsThePasswordAnonymisesRevokesAndAnnouncesUserErased() {
        String email = uniqueEmail();
        String id = signUp(email, PASSWORD, "Forget Me").then().statusCode(201).extract().path("id");
        JsonPath tokens = login(email, PASSWORD).then().statusCode(200).extract().jsonPath();
        String access = tokens.getString("access_token");

        given().auth().oauth2(access).contentType(ContentType.JSON).body(Map.of("password", "wrong password!!"))
                .delete("/v1/users/me").then().statusCode(403);
        given().auth().oauth2(access).contentType(ContentType.JSON).body(Map.of("password", PASSWORD))
                .delete("/v1/users/me").then().statusCode(204);

        me(access).then().statusCode(401);
        TokenTest.refresh(tokens.getString("refresh_token")).then().statusCode(400);
        login(email, PASSWORD).then().statusCode(400);
        // the email is free again: nothing personal is left behind under it
        signUp(email, PASSWORD, "New Me").then().statusCode(201);

        String admin = adminToken();
        given().auth().oauth2(admin).get("/v1/admin/users/" + id).then().statusCode(404);
        // idempotent
        given().auth().oauth2(admin).delete("/v1/admin/users/" + id).then().statusCode(204);

        var events = UsersTopic.await(bootstrap, Set.of(id), 2, Duration.ofSeconds(30));
        assertEquals(List.of(EventType.USER_REGISTERED, EventType.USER_ERASED),
                events.stream().map(e -> e.type()).toList(), "exactly one UserErased despite two erase calls");
    }

    @Test
    void adminErasesAnyAccountButUsersCannot() {
        String victim = signUp(uniqueEmail(), PASSWORD, "Victim").then().statusCode(201).extract().path("id");
        given().auth().oauth2(UserApi.newUser().getString("access_token")).delete("/v1/admin/users/" + victim)
                .then().statusCode(403);
        given().auth().oauth2(adminToken()).delete("/v1/admin/users/" + victim).then().statusCode(204);
        given().auth().oauth2(adminToken()).delete("/v1/admin/users/" + java.util.UUID.randomUUID())
                .then().statusCode(404);
    }
}
