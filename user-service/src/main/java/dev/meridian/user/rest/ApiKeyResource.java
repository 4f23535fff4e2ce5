package dev.meridian.user.rest;

import dev.meridian.user.rest.ApiKeyDtos.ApiKeyRequest;
import dev.meridian.user.rest.ApiKeyDtos.ApiKeyView;
import dev.meridian.user.service.ApiKeyService;
import dev.meridian.user.service.Deadlines;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.List;
import java.util.UUID;

@Path("/v1/users/me/api-keys")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "api-keys", description = "Machine credentials; exchange them at /v1/auth/token (grant_type=api_key)")
public class ApiKeyResource {

    private final ApiKeyService apiKeys;
    private final SecurityIdentity identity;
    private final Deadlines deadlines;

    public ApiKeyResource(ApiKeyService apiKeys, SecurityIdentity identity, Deadlines deadlines) {
        this.apiKeys = apiKeys;
        this.identity = identity;
        this.deadlines = deadlines;
    }

    @POST
    @Operation(summary = "Create an API key", description = "The key is shown once, in this response only.")
    @APIResponse(responseCode = "201", description = "Created; 'key' holds the secret")
    @APIResponse(responseCode = "422", description = "Bad name or expiry")
    public Uni<Response> create(ApiKeyRequest request) {
        Bodies.required(request);
        return deadlines.database(apiKeys.create(UserResource.me(identity), request.name(), request.expiresAt()))
                .map(created -> Response.status(201).entity(ApiKeyView.of(created.key(), created.secret())).build());
    }

    @GET
    @Operation(summary = "List your API keys", description = "Prefix, name and dates; never the secret.")
    public Uni<List<ApiKeyView>> list() {
        return deadlines.database(apiKeys.list(UserResource.me(identity)))
                .map(keys -> keys.stream().map(key -> ApiKeyView.of(key, null)).toList());
    }

    @DELETE
    @Path("{id}")
    @Operation(summary = "Revoke an API key", description = "Exchange stops at once; tokens minted from it stop "
            + "within seconds.")
    @APIResponse(responseCode = "204", description = "Revoked (also when it already was: the revocation is written again)")
    @APIResponse(responseCode = "404", description = "No such key of yours")
    @APIResponse(responseCode = "503", description = "The revocation could not be stored; retry (Retry-After)")
    public Uni<Response> revoke(@PathParam("id") UUID id) {
        return deadlines.database(apiKeys.revoke(UserResource.me(identity), id,
                UserResource.redisStalled(identity))).map(ignored -> Response.noContent().build());
    }
}
