package dev.meridian.user.rest;

import dev.meridian.user.User;
import dev.meridian.user.service.Deadlines;
import dev.meridian.user.service.SigningKeyService;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.Map;

@Path("/v1/admin/keys")
@RolesAllowed(User.ROLE_ADMIN)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "admin")
public class AdminKeyResource {

    private final SigningKeyService keys;
    private final SecurityIdentity identity;
    private final Deadlines deadlines;

    public AdminKeyResource(SigningKeyService keys, SecurityIdentity identity, Deadlines deadlines) {
        this.keys = keys;
        this.identity = identity;
        this.deadlines = deadlines;
    }

    @POST
    @Path("rotate")
    @Operation(summary = "Rotate the token signing key", description = "New tokens are signed with a new key; the "
            + "old public key stays in the JWKS until every token it signed has expired.")
    public Uni<Map<String, String>> rotate() {
        return deadlines.database(keys.rotate(UserResource.me(identity))).map(kid -> Map.of("kid", kid));
    }
}
