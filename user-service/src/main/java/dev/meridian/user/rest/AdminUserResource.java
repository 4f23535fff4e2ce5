package dev.meridian.user.rest;

import dev.meridian.events.user.UserStatus;
import dev.meridian.user.User;
import dev.meridian.user.rest.AdminUserDtos.AdminUserPatch;
import dev.meridian.user.rest.AdminUserDtos.UserPage;
import dev.meridian.user.rest.UserDtos.UserView;
import dev.meridian.user.service.AccountService;
import dev.meridian.user.service.AdminService;
import dev.meridian.user.service.Deadlines;
import dev.meridian.user.service.ErasureService;
import dev.meridian.user.service.ServiceException;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.List;
import java.util.UUID;

@Path("/v1/admin/users")
@RolesAllowed(User.ROLE_ADMIN)
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "admin", description = "Account administration (admin role); every change is audited")
public class AdminUserResource {

    private final AdminService admin;
    private final AccountService accounts;
    private final ErasureService erasure;
    private final SecurityIdentity identity;
    private final Deadlines deadlines;

    public AdminUserResource(AdminService admin, AccountService accounts, ErasureService erasure,
                             SecurityIdentity identity, Deadlines deadlines) {
        this.admin = admin;
        this.accounts = accounts;
        this.erasure = erasure;
        this.identity = identity;
        this.deadlines = deadlines;
    }

    @GET
    @Operation(summary = "List accounts", description = "Keyset pagination: pass nextCursor as 'after'. Filters: "
            + "email prefix, role, tier, status.")
    @APIResponse(responseCode = "200", description = "A page of accounts")
    @APIResponse(responseCode = "403", description = "Not an admin")
    public Uni<UserPage> list(@QueryParam("after") UUID after, @QueryParam("limit") @DefaultValue("50") int limit,
                              @QueryParam("email") String emailPrefix, @QueryParam("role") String role,
                              @QueryParam("tier") String tier, @QueryParam("status") String status) {
        if (limit < 1 || limit > AdminService.MAX_PAGE) {
            throw new ServiceException(ServiceException.Kind.INVALID, "limit must be 1 to " + AdminService.MAX_PAGE, "limit");
        }
        AdminService.Filter filter = new AdminService.Filter(emailPrefix, role,
                tier == null ? null : AccountService.parseTier(tier), status == null ? null : parseStatus(status));
        return deadlines.database(admin.list(after, limit, filter)).map(users -> new UserPage(
                users.stream().map(UserView::of).toList(),
                users.size() == limit ? users.get(users.size() - 1).id : null));
    }

    @GET
    @Path("{id}")
    @Operation(summary = "One account")
    @APIResponse(responseCode = "404", description = "No such account")
    public Uni<Response> get(@PathParam("id") UUID id) {
        return deadlines.database(accounts.get(id)).map(user -> Response.ok(UserView.of(user)).tag(UserResource.etag(user.version)).build());
    }

    @PATCH
    @Path("{id}")
    @Operation(summary = "Change roles, tier or status (active/disabled)", description = "Disabling cuts the "
            + "user's access within seconds. If-Match is honoured.")
    @APIResponse(responseCode = "200", description = "The updated account")
    @APIResponse(responseCode = "412", description = "If-Match does not match")
    @APIResponse(responseCode = "422", description = "Invalid roles, tier or status")
    public Uni<Response> change(@PathParam("id") UUID id, AdminUserPatch patch, @HeaderParam("If-Match") String ifMatch) {
        Bodies.required(patch);
        AdminService.Change change = new AdminService.Change(patch.roles() == null ? null : List.copyOf(patch.roles()),
                patch.tier() == null ? null : AccountService.parseTier(patch.tier()), patch.status());
        return deadlines.database(admin.change(UserResource.me(identity), id, UserResource.version(ifMatch), change))
                .map(user -> Response.ok(UserView.of(user)).tag(UserResource.etag(user.version)).build());
    }

    @DELETE
    @Path("{id}")
    @Operation(summary = "Erase an account (GDPR)", description = "Idempotent.")
    @APIResponse(responseCode = "204", description = "Erased (or already erased)")
    @APIResponse(responseCode = "404", description = "No such account")
    public Uni<Response> erase(@PathParam("id") UUID id) {
        return deadlines.database(erasure.erase(id, UserResource.me(identity))).map(ignored -> Response.noContent().build());
    }

    private static UserStatus parseStatus(String status) {
        for (UserStatus s : UserStatus.values()) {
            if (s.name().equalsIgnoreCase(status)) {
                return s;
            }
        }
        throw new ServiceException(ServiceException.Kind.INVALID, "status must be active, disabled or erased", "status");
    }
}
