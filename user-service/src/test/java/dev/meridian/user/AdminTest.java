package dev.meridian.user;

import dev.meridian.user.config.UserServiceConfig;
import dev.meridian.user.repository.AuditRepository;
import dev.meridian.user.repository.SigningKeyRepository;
import dev.meridian.user.service.MasterKeyCipher;
import dev.meridian.user.service.SigningKeyService;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.core.Vertx;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static dev.meridian.user.UserApi.PASSWORD;
import static dev.meridian.user.UserApi.adminToken;
import static dev.meridian.user.UserApi.login;
import static dev.meridian.user.UserApi.me;
import static dev.meridian.user.UserApi.signUp;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
class AdminTest {

    @Inject
    SigningKeyRepository signingKeys;

    @Inject
    AuditRepository auditLog;

    @Inject
    UserServiceConfig config;

    @Inject
    Vertx vertx;

    @Test
    void listsWithKeysetPaginationAndEmailPrefixFilter() {
        String prefix = "page-" + UUID.randomUUID().toString().substring(0, 8);
        for (int i = 0; i < 5; i++) {
            signUp(prefix + "-" + i + "@example.com", PASSWORD, "P" + i).then().statusCode(201);
        }
        String admin = adminToken();
        Set<String> seen = new HashSet<>();
        String cursor = null;
        int pages = 0;
        do {
            var request = given().auth().oauth2(admin).queryParam("email", prefix).queryParam("limit", 2);
            if (cursor != null) {
                request.queryParam("after", cursor);
            }
            JsonPath page = request.get("/v1/admin/users").then().statusCode(200).extract().jsonPath();
            List<String> emails = page.getList("items.email");
            emails.forEach(email -> assertTrue(email.startsWith(prefix), email));
            assertTrue(seen.addAll(emails), "a page repeated accounts");
            cursor = page.getString("nextCursor");
            pages++;
        } while (cursor != null && pages < 10);
        assertEquals(5, seen.size());
        assertEquals(3, pages);
    }

    @Test
    void tierAndRoleChangesAreAppliedAuditedAndShowInNewTokens() {
        String email = UserApi.uniqueEmail();
        String id = signUp(email, PASSWORD, "Pro").then().statusCode(201).extract().path("id");
        String admin = adminToken();
        given().auth().oauth2(admin).contentType(ContentType.JSON)
                .body(Map.of("tier", "pro", "roles", List.of("user", "admin")))
                .patch("/v1/admin/users/" + id)
                .then().statusCode(200).body("tier", equalTo("pro")).body("roles", hasItem("admin"));
        String token = login(email, PASSWORD).then().statusCode(200).extract().path("access_token");
        assertEquals("pro", UserApi.claims(token).getString("tier"));
        assertTrue(UserApi.claims(token).getList("groups").contains("admin"));

        given().auth().oauth2(token).get("/v1/users/me/export").then().statusCode(200)
                .body("audit.action", hasItem("user.change"))
                .body("audit.find { it.action == 'user.change' }.actorId", equalTo(UserApi.userId(admin)));

        given().auth().oauth2(admin).contentType(ContentType.JSON).body(Map.of("tier", "gold"))
                .patch("/v1/admin/users/" + id).then().statusCode(422).body("field", equalTo("tier"));
        given().auth().oauth2(admin).contentType(ContentType.JSON).body(Map.of("roles", List.of("root")))
                .patch("/v1/admin/users/" + id).then().statusCode(422).body("field", equalTo("roles"));
    }

    @Test
    void disablingCutsAccessAtOnceAndEnablingRestoresLogin() {
        String email = UserApi.uniqueEmail();
        String id = signUp(email, PASSWORD, "Gone").then().statusCode(201).extract().path("id");
        JsonPath tokens = login(email, PASSWORD).then().statusCode(200).extract().jsonPath();
        String admin = adminToken();

        given().auth().oauth2(admin).contentType(ContentType.JSON).body(Map.of("status", "disabled"))
                .patch("/v1/admin/users/" + id).then().statusCode(200).body("status", equalTo("disabled"));
        me(tokens.getString("access_token")).then().statusCode(401);
        TokenTest.refresh(tokens.getString("refresh_token")).then().statusCode(400);
        login(email, PASSWORD).then().statusCode(400);

        long disabledAt = Instant.now().getEpochSecond();
        given().auth().oauth2(admin).contentType(ContentType.JSON).body(Map.of("status", "active"))
                .patch("/v1/admin/users/" + id).then().statusCode(200);
        login(email, PASSWORD).then().statusCode(200);
        // token times are whole seconds: a revocation also covers tokens issued in its own second
        await().atMost(Duration.ofSeconds(3)).until(() -> Instant.now().getEpochSecond() > disabledAt);
        me(login(email, PASSWORD).then().statusCode(200).extract().path("access_token")).then().statusCode(200);
    }

    @Test
    void keyRotationKeepsOldTokensValidAndPublishesBothKeys() {
        String before = UserApi.newUser().getString("access_token");
        String oldKid = UserApi.header(before).getString("kid");
        String newKid = given().auth().oauth2(adminToken()).post("/v1/admin/keys/rotate")
                .then().statusCode(200).extract().path("kid");
        assertNotEquals(oldKid, newKid);

        List<String> kids = given().get("/.well-known/jwks.json").then().statusCode(200)
                .header("Cache-Control", "public, max-age=60")
                .extract().jsonPath().getList("keys.kid");
        assertTrue(kids.containsAll(List.of(oldKid, newKid)), kids.toString());
        me(before).then().statusCode(200);
        String after = UserApi.newUser().getString("access_token");
        assertEquals(newKid, UserApi.header(after).getString("kid"));
        me(after).then().statusCode(200);
    }

    /**
     * Another instance rotates (its own SigningKeyService over the same database): within the refresh interval (1 s in
     * tests) this instance publishes the new key and signs with it, without first meeting a token signed by it.
     */
    @Test
    void aKeyRotatedOnAnotherInstanceIsPublishedAndUsedHereSoon() throws Throwable {
        SigningKeyService otherInstance = new SigningKeyService(signingKeys, auditLog, config, vertx,
                new MasterKeyCipher(config));
        String newKid = VertxContextSupport.subscribeAndAwait(() -> Panache.withTransaction(
                () -> otherInstance.rotate(UUID.randomUUID())));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertTrue(given().get("/.well-known/jwks.json").then().statusCode(200).extract().jsonPath()
                    .getList("keys.kid").contains(newKid), "the JWKS lacks the rotated key");
            assertEquals(newKid, UserApi.header(UserApi.newUser().getString("access_token")).getString("kid"),
                    "a new token is not signed by the rotated key");
        });
    }

    @Test
    void nonAdminsCannotRotateKeys() {
        given().auth().oauth2(UserApi.newUser().getString("access_token")).post("/v1/admin/keys/rotate")
                .then().statusCode(403);
        given().post("/v1/admin/keys/rotate").then().statusCode(401);
    }
}
