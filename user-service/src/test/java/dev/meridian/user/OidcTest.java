package dev.meridian.user;

import com.nimbusds.oauth2.sdk.ErrorObject;
import com.nimbusds.oauth2.sdk.TokenIntrospectionRequest;
import com.nimbusds.oauth2.sdk.TokenIntrospectionResponse;
import com.nimbusds.oauth2.sdk.TokenIntrospectionSuccessResponse;
import com.nimbusds.oauth2.sdk.TokenRevocationRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.token.BearerAccessToken;
import com.nimbusds.oauth2.sdk.token.RefreshToken;
import com.nimbusds.oauth2.sdk.token.Token;
import com.nimbusds.oauth2.sdk.token.TypelessAccessToken;
import com.nimbusds.openid.connect.sdk.UserInfoRequest;
import com.nimbusds.openid.connect.sdk.UserInfoResponse;
import com.nimbusds.openid.connect.sdk.UserInfoSuccessResponse;
import com.nimbusds.openid.connect.sdk.claims.UserInfo;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * user-service as an OpenID Provider, driven by Nimbus OAuth 2.0 SDK with OpenID Connect extensions (the client
 * library under Spring Security's OIDC support): discovery, UserInfo, RFC 7662 introspection and RFC 7009 revocation.
 * (PlatformScriptTest resolves the provider from the issuer URL alone, through the gateway.)
 */
@QuarkusTest
class OidcTest {

    @TestHTTPResource("/")
    URL base;

    private URI at(String path) {
        return URI.create(base.toString() + path);
    }

    @Test
    void discoveryParsesAndNamesTheIssuerTheTokensCarry() throws Exception {
        String document = given().get("/.well-known/openid-configuration").then().statusCode(200)
                .header("Cache-Control", containsString("max-age")).extract().asString();
        OIDCProviderMetadata metadata = OIDCProviderMetadata.parse(document);
        String accessToken = UserApi.newUser().getString("access_token");
        Issuer issuer = new Issuer(UserApi.claims(accessToken).getString("iss"));
        assertEquals(issuer, metadata.getIssuer());
        assertEquals(URI.create(issuer + "/.well-known/jwks.json"), metadata.getJWKSetURI());
        assertEquals(URI.create(issuer + "/v1/auth/token"), metadata.getTokenEndpointURI());
        assertEquals(URI.create(issuer + "/userinfo"), metadata.getUserInfoEndpointURI());
        assertEquals(URI.create(issuer + "/v1/auth/introspect"), metadata.getIntrospectionEndpointURI());
        assertEquals(URI.create(issuer + "/v1/auth/revoke"), metadata.getRevocationEndpointURI());
        assertTrue(metadata.getGrantTypes().stream().map(Object::toString).toList()
                .containsAll(List.of("password", "refresh_token")), metadata.getGrantTypes().toString());
        // nothing claimed that is not there: no browser flows, no ID tokens
        assertEquals(null, metadata.getAuthorizationEndpointURI());
        assertTrue(metadata.getResponseTypes() == null || metadata.getResponseTypes().isEmpty());
    }

    @Test
    void userInfoAnswersTheBearerOfAValidTokenOnly() throws Exception {
        String email = UserApi.uniqueEmail();
        UserApi.signUp(email, UserApi.PASSWORD, "Ada Lovelace").then().statusCode(201);
        JsonPath login = UserApi.login(email, UserApi.PASSWORD).then().statusCode(200).extract().jsonPath();
        String accessToken = login.getString("access_token");

        HTTPResponse answer = new UserInfoRequest(at("userinfo"), new BearerAccessToken(accessToken))
                .toHTTPRequest().send();
        UserInfoResponse parsed = UserInfoResponse.parse(answer);
        assertTrue(parsed.indicatesSuccess(), answer.getBody());
        UserInfo info = ((UserInfoSuccessResponse) parsed).getUserInfo();
        assertEquals(UserApi.userId(accessToken), info.getSubject().getValue());
        assertEquals(email, info.getEmailAddress());
        assertEquals("Ada Lovelace", info.getName());
        given().auth().oauth2(accessToken).post("/userinfo").then().statusCode(200).body("sub", equalTo(info
                .getSubject().getValue()));

        // no token, a forged one, one revoked by an admin disabling the account: 401 with a Bearer challenge
        given().get("/userinfo").then().statusCode(401).header("WWW-Authenticate", containsString("Bearer"));
        given().auth().oauth2(accessToken.substring(0, accessToken.length() - 4) + "AAAA").get("/userinfo").then()
                .statusCode(401);
        given().auth().oauth2(UserApi.adminToken()).contentType(ContentType.JSON).body(Map.of("status", "disabled"))
                .patch("/v1/admin/users/" + info.getSubject().getValue()).then().statusCode(200);
        given().auth().oauth2(accessToken).get("/userinfo").then().statusCode(401);
    }

    private TokenIntrospectionSuccessResponse introspect(String callerToken, Token token) throws Exception {
        HTTPResponse answer = new TokenIntrospectionRequest(at("v1/auth/introspect"),
                new BearerAccessToken(callerToken), token).toHTTPRequest().send();
        TokenIntrospectionResponse parsed = TokenIntrospectionResponse.parse(answer);
        assertTrue(parsed.indicatesSuccess(), answer.getStatusCode() + " " + answer.getBody());
        return parsed.toSuccessResponse();
    }

    private static String apiKey(String owner) {
        return given().auth().oauth2(owner).contentType(ContentType.JSON).body(Map.of("name", "oidc"))
                .post("/v1/users/me/api-keys").then().statusCode(201).extract().path("key");
    }

    @Test
    void introspectionTellsOwnersAndAdminsWhetherTheirTokensAreActive() throws Exception {
        JsonPath login = UserApi.newUser();
        String owner = login.getString("access_token");
        String subject = UserApi.userId(owner);
        RefreshToken refresh = new RefreshToken(login.getString("refresh_token"));
        String key = apiKey(owner);

        TokenIntrospectionSuccessResponse status = introspect(owner, refresh);
        assertTrue(status.isActive());
        assertEquals(subject, status.getSubject().getValue());
        assertEquals("refresh_token", status.getStringParameter("token_type"));
        assertTrue(introspect(owner, new TypelessAccessToken(key)).isActive());
        assertEquals(subject, introspect(owner, new BearerAccessToken(owner)).getSubject().getValue());

        // another user learns nothing about them; an admin does
        String stranger = UserApi.newUser().getString("access_token");
        assertFalse(introspect(stranger, refresh).isActive());
        assertEquals(null, introspect(stranger, refresh).getSubject());
        assertFalse(introspect(stranger, new TypelessAccessToken(key)).isActive());
        assertTrue(introspect(UserApi.adminToken(), refresh).isActive());

        // a used (rotated) refresh token and a revoked key are no longer active; garbage never was
        given().contentType(ContentType.JSON).body(Map.of("refresh_token", refresh.getValue()))
                .post("/v1/auth/refresh").then().statusCode(200);
        assertFalse(introspect(owner, refresh).isActive());
        String keyId = introspect(owner, new TypelessAccessToken(key)).getStringParameter("key_id");
        given().auth().oauth2(owner).delete("/v1/users/me/api-keys/" + keyId).then().statusCode(204);
        assertFalse(introspect(owner, new TypelessAccessToken(key)).isActive());
        assertFalse(introspect(owner, new TypelessAccessToken("not-a-token")).isActive());

        // introspection needs a caller; the token parameter is required
        given().formParam("token", refresh.getValue()).post("/v1/auth/introspect").then().statusCode(401);
        given().auth().oauth2(owner).formParam("token_type_hint", "refresh_token").post("/v1/auth/introspect").then()
                .statusCode(400).body("error", equalTo("invalid_request"));
    }

    /**
     * 60 users at once each introspect their own token and everyone else's: every answer about an own token is
     * active and names its owner, every answer about another user's token is just "inactive".
     */
    @Test
    void concurrentIntrospectionNeverShowsOneUsersTokenToAnother() throws Exception {
        int users = 60;
        List<String> access = new ArrayList<>();
        List<String> refresh = new ArrayList<>();
        for (int i = 0; i < users; i++) {
            JsonPath login = UserApi.newUser();
            access.add(login.getString("access_token"));
            refresh.add(login.getString("refresh_token"));
        }
        ExecutorService clients = Executors.newFixedThreadPool(users);
        try {
            List<CompletableFuture<String>> problems = new ArrayList<>();
            for (int i = 0; i < users; i++) {
                int caller = i;
                problems.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        for (int about : List.of(caller, (caller + 1) % users, (caller + 7) % users)) {
                            TokenIntrospectionSuccessResponse status = introspect(access.get(caller),
                                    new RefreshToken(refresh.get(about)));
                            boolean own = about == caller;
                            if (status.isActive() != own || (!own && status.getSubject() != null)
                                    || (own && !status.getSubject().getValue().equals(UserApi.userId(access.get(caller))))) {
                                return "user " + caller + " about " + about + ": " + status.toJSONObject();
                            }
                        }
                        return null;
                    } catch (Exception e) {
                        return "user " + caller + ": " + e;
                    }
                }, clients));
            }
            List<String> failures = problems.stream().map(CompletableFuture::join).filter(p -> p != null).toList();
            assertEquals(List.of(), failures);
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void revocationEndsRefreshTokensAndApiKeysAndRefusesSingleAccessTokens() throws Exception {
        JsonPath login = UserApi.newUser();
        String owner = login.getString("access_token");
        String key = apiKey(owner);
        ClientID client = new ClientID("meridian-cli");

        HTTPResponse revoked = new TokenRevocationRequest(at("v1/auth/revoke"), client,
                new RefreshToken(login.getString("refresh_token"))).toHTTPRequest().send();
        assertEquals(200, revoked.getStatusCode(), revoked.getBody());
        given().contentType(ContentType.JSON).body(Map.of("refresh_token", login.getString("refresh_token")))
                .post("/v1/auth/refresh").then().statusCode(400).body("error", equalTo("invalid_grant"));

        assertEquals(200, new TokenRevocationRequest(at("v1/auth/revoke"), client, new TypelessAccessToken(key))
                .toHTTPRequest().send().getStatusCode());
        given().contentType(ContentType.JSON).body(Map.of("grant_type", "api_key", "api_key", key))
                .post("/v1/auth/token").then().statusCode(400).body("error", equalTo("invalid_grant"));
        assertFalse(introspect(owner, new TypelessAccessToken(key)).isActive());

        // unknown tokens succeed (nothing to learn from the answer); access tokens are not revocable one by one
        assertEquals(200, new TokenRevocationRequest(at("v1/auth/revoke"), client,
                new RefreshToken("no-such-token-" + System.nanoTime())).toHTTPRequest().send().getStatusCode());
        HTTPResponse refused = new TokenRevocationRequest(at("v1/auth/revoke"), client, new BearerAccessToken(owner))
                .toHTTPRequest().send();
        assertEquals(400, refused.getStatusCode());
        assertEquals("unsupported_token_type", ErrorObject.parse(refused).getCode());
    }
}
