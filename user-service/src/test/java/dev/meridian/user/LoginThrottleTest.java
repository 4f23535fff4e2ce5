package dev.meridian.user;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.UUID;

import static dev.meridian.user.UserApi.PASSWORD;
import static dev.meridian.user.UserApi.signUp;
import static dev.meridian.user.UserApi.uniqueEmail;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Failed logins are counted per (account, client address), the address as the gateway forwards it
 * ({@code Forwarded: for=...}, honoured from trusted peers only; these requests come from loopback, which is one).
 */
@QuarkusTest
class LoginThrottleTest {

    static final String ATTACKER = "203.0.113.7";
    static final String OWNER = "198.51.100.9";

    @Inject
    Pool pool;

    @Test
    void anAttackerAtOneAddressIsSlowedMoreAndMoreWhileTheOwnerLogsInFromAnother() throws Exception {
        String email = uniqueEmail();
        String id = signUp(email, PASSWORD, "Owner").then().statusCode(201).extract().path("id");
        for (int i = 0; i < 5; i++) {
            login(email, "guess number " + i, ATTACKER).then().statusCode(400);
        }
        // the fifth failure started a back-off at the attacker's address: even the right password is refused there,
        // with exactly the answer a wrong password or an unknown email gets (no enumeration)
        String refused = login(email, PASSWORD, ATTACKER).then().statusCode(400).extract().asString();
        String wrong = login(uniqueEmail(), "whatever it is", ATTACKER).then().statusCode(400).extract().asString();
        assertEquals(wrong, refused);
        // the owner, elsewhere, is not locked out
        login(email, PASSWORD, OWNER).then().statusCode(200);

        // the attacker keeps failing once the back-off has passed: each time it doubles (1 s, 2 s, 4 s)
        long previous = backOff(id, ATTACKER).toMillis();
        assertTrue(previous >= 900 && previous <= 1100, "first back-off " + previous + " ms");
        for (int round = 0; round < 2; round++) {
            Thread.sleep(previous + 100);
            login(email, "another guess " + round, ATTACKER).then().statusCode(400);
            long next = backOff(id, ATTACKER).toMillis();
            assertTrue(next >= 2 * previous - 100 && next <= 2 * previous + 100,
                    "back-off went from " + previous + " to " + next + " ms");
            previous = next;
            login(email, PASSWORD, OWNER).then().statusCode(200);
            login(email, PASSWORD, ATTACKER).then().statusCode(400);
        }
        // the owner's own successes never cleared the attacker's address
        assertTrue(backOff(id, ATTACKER).toMillis() >= 4000);
    }

    private static Response login(String email, String password, String from) {
        return given().contentType(ContentType.JSON).header("Forwarded", "for=\"" + from + "\";proto=http")
                .body(Map.of("email", email, "password", password)).post("/v1/auth/token");
    }

    /** How long the last failure from this address made it wait. */
    private Duration backOff(String userId, String client) {
        Row row = pool.preparedQuery("select last_failure_at, locked_until from login_failures"
                        + " where user_id = $1 and client = $2")
                .execute(Tuple.of(UUID.fromString(userId), client)).await().atMost(Duration.ofSeconds(10))
                .iterator().next();
        OffsetDateTime last = row.getOffsetDateTime(0);
        OffsetDateTime until = row.getOffsetDateTime(1);
        return Duration.between(last, until);
    }
}
