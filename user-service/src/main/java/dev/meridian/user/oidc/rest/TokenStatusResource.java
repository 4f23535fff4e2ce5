package dev.meridian.user.oidc.rest;

import dev.meridian.user.User;
import dev.meridian.user.oidc.service.TokenStatusService;
import dev.meridian.user.rest.UserResource;
import dev.meridian.user.service.Deadlines;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestForm;

/**
 * RFC 7662 token introspection and RFC 7009 revocation, form-encoded as the RFCs define them. {@code token_type_hint}
 * is accepted and not needed: the three token kinds are told apart by their shape.
 */
@Path("/v1/auth")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_FORM_URLENCODED)
@Tag(name = "auth")
public class TokenStatusResource {

    private final TokenStatusService tokens;
    private final SecurityIdentity identity;
    private final Deadlines deadlines;

    public TokenStatusResource(TokenStatusService tokens, SecurityIdentity identity, Deadlines deadlines) {
        this.tokens = tokens;
        this.identity = identity;
        this.deadlines = deadlines;
    }

    /**
     * The caller authenticates with a bearer access token (RFC 7662 section 2.1: no anonymous token scanning) and
     * learns about its own tokens; admins about anyone's.
     */
    @POST
    @Path("introspect")
    @Authenticated
    @Operation(summary = "Is this access token, refresh token or API key active, and whose? (RFC 7662)")
    public Uni<Response> introspect(@RestForm String token, @RestForm("token_type_hint") String hint) {
        return deadlines.database(tokens.introspect(token, UserResource.me(identity), identity.hasRole(User.ROLE_ADMIN)))
                .map(status -> noStore(Response.ok(status)));
    }

    /** Whoever holds a token may revoke it (RFC 7009, public clients); unknown tokens succeed too. */
    @POST
    @Path("revoke")
    @Operation(summary = "Revoke a refresh token (its whole login) or an API key (RFC 7009)")
    public Uni<Response> revoke(@RestForm String token, @RestForm("token_type_hint") String hint) {
        return deadlines.database(tokens.revoke(token)).map(ignored -> noStore(Response.ok()));
    }

    private static Response noStore(Response.ResponseBuilder response) {
        return response.header("Cache-Control", "no-store").build();
    }
}
