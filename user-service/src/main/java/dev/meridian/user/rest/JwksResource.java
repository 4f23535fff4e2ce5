package dev.meridian.user.rest;

import dev.meridian.user.service.SigningKeyService;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/.well-known/jwks.json")
@Tag(name = "auth")
public class JwksResource {

    private final SigningKeyService keys;

    public JwksResource(SigningKeyService keys) {
        this.keys = keys;
    }

    /** Short cache: verifiers also refetch on an unknown kid, so a rotation is picked up within seconds. */
    @GET
    @Produces("application/jwk-set+json")
    @Operation(summary = "Public keys that verify access tokens (current and recently retired)")
    public Response jwks() {
        return Response.ok(keys.jwks()).header("Cache-Control", "public, max-age=60").build();
    }
}
