package dev.meridian.user;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static dev.meridian.user.UserApi.PASSWORD;
import static dev.meridian.user.UserApi.login;
import static dev.meridian.user.UserApi.signUp;
import static dev.meridian.user.UserApi.uniqueEmail;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Personal data does not linger: published outbox rows are pruned, an erased user's API key names are scrubbed. */
@QuarkusTest
class PersonalDataRetentionTest {

    @Inject
    Pool pool;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    /** The test profile prunes rows published more than 2 s ago (default: an hour). */
    @Test
    void publishedOutboxRowsArePruned() {
        String id = signUp(uniqueEmail(), PASSWORD, "Ada Lovelace").then().statusCode(201).extract().path("id");
        assertEquals(1, UsersTopic.await(bootstrap, Set.of(id), 1, Duration.ofSeconds(30)).size());
        await().atMost(Duration.ofSeconds(20)).until(() -> count("select count(*) from outbox where aggregate_id = $1", id) == 0);
        assertEquals(0, count("select count(*) from outbox where published_at is not null"
                + " and published_at < now() - interval '10 seconds'", null), "old published rows left behind");
    }

    @Test
    void anErasedUsersApiKeyNamesAreScrubbed() {
        String email = uniqueEmail();
        signUp(email, PASSWORD, "Ada").then().statusCode(201);
        String token = login(email, PASSWORD).then().statusCode(200).extract().path("access_token");
        String revoked = given().auth().oauth2(token).contentType(ContentType.JSON).body(Map.of("name", "Ada's old laptop"))
                .post("/v1/users/me/api-keys").then().statusCode(201).extract().path("id");
        given().auth().oauth2(token).delete("/v1/users/me/api-keys/" + revoked).then().statusCode(204);
        given().auth().oauth2(token).contentType(ContentType.JSON).body(Map.of("name", "Ada's new laptop"))
                .post("/v1/users/me/api-keys").then().statusCode(201);
        String id = UserApi.userId(token);

        given().auth().oauth2(token).contentType(ContentType.JSON).body(Map.of("password", PASSWORD))
                .delete("/v1/users/me").then().statusCode(204);
        assertEquals(List.of("erased", "erased"), names(id));
        assertEquals(0, count("select count(*) from api_keys where user_id = $1 and revoked_at is null", id));
    }

    private long count(String sql, String id) {
        var query = pool.preparedQuery(sql);
        var rows = id == null ? query.execute() : query.execute(Tuple.of(sql.contains("aggregate_id") ? id : UUID.fromString(id)));
        return rows.await().atMost(Duration.ofSeconds(10)).iterator().next().getLong(0);
    }

    private List<String> names(String userId) {
        List<String> names = new ArrayList<>();
        for (Row row : pool.preparedQuery("select name from api_keys where user_id = $1 order by created_at")
                .execute(Tuple.of(UUID.fromString(userId))).await().atMost(Duration.ofSeconds(10))) {
            names.add(row.getString(0));
        }
        return names;
    }
}
