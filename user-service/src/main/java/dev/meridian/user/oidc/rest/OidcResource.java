package dev.meridian.user.oidc.rest;

import dev.meridian.user.config.UserServiceConfig;
import dev.meridian.user.oidc.rest.OidcDtos.Discovery;
import dev.meridian.user.oidc.rest.OidcDtos.UserInfo;
import dev.meridian.user.rest.AuthResource;
import dev.meridian.user.rest.UserResource;
import dev.meridian.user.service.AccountService;
import dev.meridian.user.service.Deadlines;
import dev.meridian.user.service.ServiceException;
import io.quarkus.security.Authenticated;
import io.quarkus.security.UnauthorizedException;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.List;

/**
 * user-service as an OpenID Provider for what it does: discovery (so OIDC client libraries configure from the issuer
 * URL alone: the document's issuer is the tokens' {@code iss}, every endpoint under it) and UserInfo.
 */
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "auth")
public class OidcResource {

    private final Discovery discovery;
    private final AccountService accounts;
    private final SecurityIdentity identity;
    private final Deadlines deadlines;

    public OidcResource(UserServiceConfig config, AccountService accounts, SecurityIdentity identity,
                        Deadlines deadlines) {
        this.accounts = accounts;
        this.identity = identity;
        this.deadlines = deadlines;
        String issuer = config.jwt().issuer().replaceAll("/$", "");
        this.discovery = new Discovery(config.jwt().issuer(),
                issuer + "/.well-known/jwks.json",
                issuer + "/v1/auth/token",
                issuer + "/userinfo",
                issuer + "/v1/auth/introspect",
                issuer + "/v1/auth/revoke",
                List.of(AuthResource.GRANT_PASSWORD, AuthResource.GRANT_REFRESH, AuthResource.GRANT_API_KEY),
                List.of(), List.of("public"), List.of(), List.of("none"), List.of("none"), List.of("bearer"),
                List.of("openid"),
                List.of("iss", "sub", "aud", "exp", "iat", "jti", "email", "name", "updated_at", "groups", "roles",
                        "tier", "akid"),
                List.of("RS256"));
    }

    @GET
    @Path(".well-known/openid-configuration")
    @Operation(summary = "OpenID Connect discovery document")
    public Response discovery() {
        return Response.ok(discovery).header("Cache-Control", "public, max-age=300").build();
    }

    @GET
    @Path("userinfo")
    @Authenticated
    @Operation(summary = "The caller's claims (OpenID Connect UserInfo) for a bearer access token")
    public Uni<UserInfo> userInfo() {
        return deadlines.database(accounts.find(UserResource.me(identity)))
                .onFailure(OidcResource::isNotFound).transform(gone -> new UnauthorizedException("the account is gone"))
                .map(user -> {
                    if (!user.isActive()) {
                        throw new UnauthorizedException("the account is not active");
                    }
                    return new UserInfo(user.id.toString(), user.email, user.displayName,
                            user.updatedAt.getEpochSecond(), user.roles(), user.tier.wireName());
                });
    }

    /** OIDC Core 5.3.1: UserInfo answers POST as well. */
    @POST
    @Path("userinfo")
    @Authenticated
    public Uni<UserInfo> userInfoPost() {
        return userInfo();
    }

    private static boolean isNotFound(Throwable failure) {
        return failure instanceof ServiceException s && s.kind() == ServiceException.Kind.NOT_FOUND;
    }
}
