package dev.meridian.user;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.meridian.user.UserApi.PASSWORD;
import static dev.meridian.user.UserApi.signUp;
import static dev.meridian.user.UserApi.uniqueEmail;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

@QuarkusTest
class SignUpTest {

    @Test
    void createsAccountWithNormalisedEmailAndNeverReturnsTheHash() {
        String email = uniqueEmail();
        String body = signUp("  " + email.toUpperCase() + " ", PASSWORD, "Ada")
                .then().statusCode(201)
                .header("Location", endsWith("/v1/users/me"))
                .contentType(ContentType.JSON)
                .body("email", equalTo(email))
                .body("displayName", equalTo("Ada"))
                .body("roles", equalTo(List.of("user")))
                .body("tier", equalTo("free"))
                .body("status", equalTo("active"))
                .body("id", notNullValue())
                .extract().asString();
        assertEquals(-1, body.indexOf("argon2"), "the body leaks the password hash: " + body);
        assertEquals(-1, body.toLowerCase().indexOf("password"), body);
    }

    @Test
    void duplicateEmailIsAConflictEvenWithDifferentCase() {
        String email = uniqueEmail();
        signUp(email, PASSWORD, "First").then().statusCode(201);
        signUp(email.toUpperCase(), PASSWORD, "Second").then().statusCode(409)
                .contentType("application/problem+json")
                .body("status", equalTo(409))
                .body("field", equalTo("email"));
    }

    @Test
    void concurrentSignUpsWithOneEmailHaveExactlyOneWinner() throws Exception {
        String email = uniqueEmail();
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Callable<Integer>> attempts = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                attempts.add(() -> signUp(email, PASSWORD, "Racer").statusCode());
            }
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> f : pool.invokeAll(attempts)) {
                statuses.add(f.get());
            }
            assertEquals(1, statuses.stream().filter(s -> s == 201).count(), statuses.toString());
            assertEquals(5, statuses.stream().filter(s -> s == 409).count(), statuses.toString());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void passwordPolicyNamesTheRuleBroken() {
        signUp(uniqueEmail(), "short", "A").then().statusCode(422)
                .body("detail", containsString("password-too-short")).body("field", equalTo("password"));
        signUp(uniqueEmail(), "x".repeat(129), "A").then().statusCode(422)
                .body("detail", containsString("password-too-long"));
        String email = uniqueEmail();
        signUp(email, email, "A").then().statusCode(422).body("detail", containsString("password-equals-email"));
    }

    @Test
    void badEmailAndDisplayNameAreNamed() {
        signUp("not-an-email", PASSWORD, "A").then().statusCode(422).body("field", equalTo("email"));
        signUp(uniqueEmail(), PASSWORD, "   ").then().statusCode(422).body("field", equalTo("displayName"));
    }

    @Test
    void malformedJsonUnknownFieldsAndWrongTypesAre400() {
        given().contentType(ContentType.JSON).body("{\"email\": ").post("/v1/users")
                .then().statusCode(400).contentType("application/problem+json")
                .body("title", equalTo("Bad Request"))
                .body("detail", equalTo("the body is not valid JSON"));
        given().contentType(ContentType.JSON)
                .body(Map.of("email", uniqueEmail(), "password", PASSWORD, "displayName", "A", "admin", true))
                .post("/v1/users")
                .then().statusCode(400).body("field", equalTo("admin")).body("detail", containsString("unknown field"));
        given().contentType(ContentType.JSON).body("{\"email\": [1], \"password\": \"" + PASSWORD + "\"}")
                .post("/v1/users")
                .then().statusCode(400).body("field", equalTo("email"));
    }

    @Test
    void bodiesOver64KiBAreRejected() {
        Response response = given().contentType(ContentType.JSON)
                .body(Map.of("email", uniqueEmail(), "password", PASSWORD, "displayName", "x".repeat(70_000)))
                .post("/v1/users");
        assertEquals(413, response.statusCode());
    }

    @Test
    void unknownPathIsAProblem() {
        given().get("/v1/nope").then().statusCode(404).contentType("application/problem+json")
                .body("status", equalTo(404)).body("detail", not(containsString("Exception")));
    }
}
