package dev.meridian.user.rest;

import dev.meridian.user.rest.AuthDtos.RefreshRequest;
import dev.meridian.user.rest.AuthDtos.TokenRequest;
import dev.meridian.user.rest.AuthDtos.TokenResponse;
import dev.meridian.user.service.Deadlines;
import dev.meridian.user.service.OAuthException;
import dev.meridian.user.service.TokenService;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestForm;

/**
 * OAuth2-style token endpoint. Accepts JSON ({email, password} or OAuth2 parameters) and the OAuth2 form; answers in
 * the RFC 6749 token-response shape, errors as RFC 6749 error codes.
 */
@Path("/v1/auth")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "auth", description = "Tokens: password, refresh_token and api_key grants")
public class AuthResource {

    public static final String GRANT_PASSWORD = "password";
    public static final String GRANT_REFRESH = "refresh_token";
    public static final String GRANT_API_KEY = "api_key";

    private final TokenService tokens;
    private final Deadlines deadlines;

    public AuthResource(TokenService tokens, Deadlines deadlines) {
        this.tokens = tokens;
        this.deadlines = deadlines;
    }

    @POST
    @Path("token")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Get tokens", description = "{email, password}, or grant_type password (username, "
            + "password), refresh_token (refresh_token) or api_key (api_key).")
    @APIResponse(responseCode = "200", description = "Access token (15 min) and, for logins, a refresh token")
    @APIResponse(responseCode = "400", description = "invalid_request, invalid_grant or unsupported_grant_type")
    public Uni<Response> tokenJson(TokenRequest request, @Context HttpServerRequest http) {
        if (request == null) {
            return Uni.createFrom().failure(OAuthException.invalidRequest("a JSON body is required"));
        }
        String grant = request.grantType() == null ? GRANT_PASSWORD : request.grantType();
        String username = request.username() != null ? request.username() : request.email();
        return grant(grant, username, request.password(), request.refreshToken(), request.apiKey(),
                ClientAddress.of(http));
    }

    @POST
    @Path("token")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Uni<Response> tokenForm(@RestForm("grant_type") String grantType, @RestForm String username,
                                   @RestForm String password, @RestForm("refresh_token") String refreshToken,
                                   @RestForm("api_key") String apiKey, @Context HttpServerRequest http) {
        if (grantType == null) {
            return Uni.createFrom().failure(OAuthException.invalidRequest("grant_type is required"));
        }
        return grant(grantType, username, password, refreshToken, apiKey, ClientAddress.of(http));
    }

    private Uni<Response> grant(String grantType, String username, String password, String refreshToken, String apiKey,
                                String client) {
        Uni<TokenService.TokenPair> pair = switch (grantType) {
            case GRANT_PASSWORD -> tokens.passwordGrant(username, password, client);
            case GRANT_REFRESH -> tokens.refreshGrant(refreshToken);
            case GRANT_API_KEY -> tokens.apiKeyGrant(apiKey);
            default -> Uni.createFrom().failure(new OAuthException(400, "unsupported_grant_type",
                    "grant_type must be password, refresh_token or api_key"));
        };
        return deadlines.database(pair).map(AuthResource::ok);
    }

    @POST
    @Path("refresh")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Rotate a refresh token", description = "Returns new tokens; the presented refresh token "
            + "is used up. Presenting a used one again revokes the whole login (token family).")
    @APIResponse(responseCode = "200", description = "New access and refresh token")
    @APIResponse(responseCode = "400", description = "invalid_grant: unknown, expired, revoked or reused token")
    public Uni<Response> refresh(RefreshRequest request) {
        return deadlines.database(tokens.refreshGrant(request == null ? null : request.refreshToken()))
                .map(AuthResource::ok);
    }

    @POST
    @Path("refresh")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Uni<Response> refreshForm(@RestForm("refresh_token") String refreshToken) {
        return deadlines.database(tokens.refreshGrant(refreshToken)).map(AuthResource::ok);
    }

    @POST
    @Path("logout")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Log out", description = "Revokes the refresh token's whole family.")
    @APIResponse(responseCode = "204", description = "Logged out (also when already logged out)")
    public Uni<Response> logout(RefreshRequest request) {
        return deadlines.database(tokens.logout(request == null ? null : request.refreshToken()))
                .map(ignored -> Response.noContent().build());
    }

    @POST
    @Path("logout")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Uni<Response> logoutForm(@RestForm("refresh_token") String refreshToken) {
        return deadlines.database(tokens.logout(refreshToken)).map(ignored -> Response.noContent().build());
    }

    private static Response ok(TokenService.TokenPair pair) {
        return Response.ok(TokenResponse.of(pair)).header("Cache-Control", "no-store").header("Pragma", "no-cache")
                .build();
    }
}
