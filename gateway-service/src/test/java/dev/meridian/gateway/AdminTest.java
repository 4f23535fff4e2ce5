package dev.meridian.gateway;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

/** The gateway's admin API and its aggregated API description. */
@QuarkusTest
class AdminTest {

    static String adminToken() {
        return TestTokens.sign(TestTokens.claims(UUID.randomUUID().toString())
                .groups(Set.of("user", "admin")));
    }

    @Test
    void theAdminApiNeedsTheAdminRole() {
        given().get("/admin/routes").then().statusCode(401).header("WWW-Authenticate", notNullValue());
        given().auth().oauth2(TestTokens.sign(TestTokens.claims(UUID.randomUUID().toString())))
                .get("/admin/routes").then().statusCode(403).contentType("application/problem+json");
        given().auth().oauth2(adminToken()).delete("/admin/cache?prefix=/").then().statusCode(200);
        given().auth().oauth2(adminToken()).get("/admin/nothing").then().statusCode(404);
    }

    @Test
    void routesAreListedWithTheirPolicies() {
        given().auth().oauth2(adminToken()).get("/admin/routes").then().statusCode(200)
                .body("routes.find { it.id == 'models' }.upstream", equalTo("inference"))
                .body("routes.find { it.id == 'models' }.cache", equalTo(true))
                .body("routes.find { it.id == 'signup' }.auth", equalTo("public"))
                .body("routes.find { it.id == 'fallback-local' }.rateLimitPolicy", equalTo("accuracy"));
        given().auth().oauth2(adminToken()).get("/admin/upstreams").then().statusCode(200)
                .body("upstreams.find { it.name == 'users' }.breaker", equalTo("closed"))
                .body("upstreams.find { it.name == 'inference' }.instances.size()", equalTo(2));
    }

    @Test
    void aSubjectsRateLimitStateCanBeRead() {
        String user = UUID.randomUUID().toString();
        String token = TestTokens.sign(TestTokens.claims(user));
        for (int i = 0; i < 3; i++) {
            given().auth().oauth2(token).get("/v1/users/me").then().statusCode(200);
        }
        // 10,000 a day refills about one every 8.6 s: the three requests show exactly
        given().auth().oauth2(adminToken()).queryParam("subject", "user:" + user).queryParam("policy", "free")
                .get("/admin/rate-limits").then().statusCode(200)
                .body("limits.find { it.limit == 'day' }.remaining", equalTo(9997))
                .body("limits.find { it.limit == 'second' }.burst", equalTo(40));
        given().auth().oauth2(adminToken()).queryParam("subject", "someone").queryParam("policy", "free")
                .get("/admin/rate-limits").then().statusCode(400).body("detail", containsString("subject"));
        given().auth().oauth2(adminToken()).queryParam("subject", "ip:1.2.3.4").queryParam("policy", "gold")
                .get("/admin/rate-limits").then().statusCode(400).body("detail", containsString("free"));
    }

    @Test
    void oneOpenApiDocumentCoversTheRoutedOperationsWithTheirSecurity() {
        given().get("/openapi").then().statusCode(200)
                .body("'x-meridian-unavailable'", nullValue())
                .body("paths.'/v1/users'.post.summary", equalTo("Sign up"))
                .body("paths.'/v1/users'.post.security", empty())
                .body("paths.'/v1/users/{id}'.get.security[0].bearer", empty())
                .body("paths.'/v1/embeddings'.post.summary", equalTo("Embed"))
                .body("paths.'/internal/reindex'", nullValue())
                .body("components.schemas.User.type", equalTo("object"))
                .body("components.securitySchemes.bearer.scheme", equalTo("bearer"));
        given().get("/q/swagger-ui/").then().statusCode(200);
        given().get("/q/swagger-ui/index.html").then().statusCode(200).body(containsString("/openapi"));
    }
}
