package dev.meridian.user.rest;

import dev.meridian.user.webhook.rest.WebhookDtos.DeliveryView;
import dev.meridian.user.webhook.rest.WebhookDtos.WebhookView;
import dev.meridian.user.rest.ApiKeyDtos.ApiKeyView;
import dev.meridian.user.rest.UserDtos.AuditView;
import dev.meridian.user.rest.UserDtos.Export;
import dev.meridian.user.rest.UserDtos.PasswordChange;
import dev.meridian.user.rest.UserDtos.PasswordConfirmation;
import dev.meridian.user.rest.UserDtos.ProfilePatch;
import dev.meridian.user.rest.UserDtos.SessionView;
import dev.meridian.user.rest.UserDtos.SignUpRequest;
import dev.meridian.user.rest.UserDtos.UserView;
import dev.meridian.events.user.UserStatus;
import dev.meridian.user.security.AccessTokenIdentityProvider;
import dev.meridian.user.service.AccountService;
import dev.meridian.user.service.Deadlines;
import dev.meridian.user.service.ErasureService;
import dev.meridian.user.service.ExportService;
import dev.meridian.user.service.ServiceException;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.EntityTag;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.time.Instant;
import java.util.UUID;

@Path("/v1/users")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "users", description = "Sign-up and your own account")
public class UserResource {

    private final AccountService accounts;
    private final ExportService exports;
    private final ErasureService erasure;
    private final SecurityIdentity identity;
    private final Deadlines deadlines;

    public UserResource(AccountService accounts, ExportService exports, ErasureService erasure,
                        SecurityIdentity identity, Deadlines deadlines) {
        this.accounts = accounts;
        this.exports = exports;
        this.erasure = erasure;
        this.identity = identity;
        this.deadlines = deadlines;
    }

    @POST
    @Operation(summary = "Sign up", description = "Email is normalised (trimmed, lower case) and must be unique. "
            + "Password: 12 to 128 characters, not the email.")
    @APIResponse(responseCode = "201", description = "Account created; Location points at it")
    @APIResponse(responseCode = "400", description = "Malformed JSON or unknown field")
    @APIResponse(responseCode = "409", description = "Email already registered")
    @APIResponse(responseCode = "422", description = "A field breaks a rule; the problem names the rule and field")
    public Uni<Response> signUp(SignUpRequest request, UriInfo uri) {
        Bodies.required(request);
        return deadlines.database(accounts.signUp(request.email(), request.password(), request.displayName(), false))
                .map(user -> Response.created(uri.getBaseUriBuilder().path("v1/users/me").build())
                        .header("Content-Location", "/v1/users/" + user.id)
                        .entity(UserView.of(user)).build());
    }

    @GET
    @Path("me")
    @Authenticated
    @Operation(summary = "Your account", description = "The ETag carries the version for If-Match on PATCH.")
    @APIResponse(responseCode = "200", description = "The account")
    @APIResponse(responseCode = "401", description = "Missing, invalid, expired or revoked access token")
    public Uni<Response> me() {
        return deadlines.database(accounts.get(me(identity))).map(user -> Response.ok(UserView.of(user)).tag(etag(user.version)).build());
    }

    @PATCH
    @Path("me")
    @Authenticated
    @Operation(summary = "Change your display name", description = "Send If-Match with the ETag you read; "
            + "a stale version answers 412, a concurrent write 409.")
    @APIResponse(responseCode = "200", description = "The updated account")
    @APIResponse(responseCode = "409", description = "Concurrent update")
    @APIResponse(responseCode = "412", description = "If-Match does not match the current version")
    public Uni<Response> update(ProfilePatch patch, @HeaderParam("If-Match") String ifMatch) {
        Bodies.required(patch);
        return deadlines.database(accounts.updateProfile(me(identity), version(ifMatch), patch.displayName()))
                .map(user -> Response.ok(UserView.of(user)).tag(etag(user.version)).build());
    }

    @POST
    @Path("me/password")
    @Authenticated
    @Operation(summary = "Change your password", description = "Needs the current password; every refresh token "
            + "is revoked, so other sessions log in again.")
    @APIResponse(responseCode = "204", description = "Changed")
    @APIResponse(responseCode = "403", description = "Current password wrong")
    @APIResponse(responseCode = "422", description = "New password breaks the policy")
    public Uni<Response> changePassword(PasswordChange change) {
        Bodies.required(change);
        return deadlines.database(accounts.changePassword(me(identity), change.currentPassword(), change.newPassword()))
                .map(ignored -> Response.noContent().build());
    }

    @GET
    @Path("me/export")
    @Authenticated
    @Operation(summary = "Export your data (GDPR)", description = "Everything user-service holds about you.")
    @APIResponse(responseCode = "200", description = "The export, as a JSON attachment")
    public Uni<Response> export() {
        return deadlines.database(exports.export(me(identity))).map(data -> Response.ok(new Export(Instant.now(), UserView.of(data.user()),
                        data.sessions().stream().map(SessionView::of).toList(),
                        data.apiKeys().stream().map(key -> ApiKeyView.of(key, null)).toList(),
                        data.audit().stream().map(AuditView::of).toList(),
                        data.webhooks().stream().map(endpoint -> WebhookView.of(endpoint, null)).toList(),
                        data.webhookDeliveries().stream().map(DeliveryView::of).toList()))
                .header("Content-Disposition", "attachment; filename=\"meridian-user-export.json\"")
                .build());
    }

    @DELETE
    @Path("me")
    @Authenticated
    @Operation(summary = "Erase your account (GDPR)", description = "Confirm with your password. Personal data is "
            + "anonymised, every token revoked, other services told to delete your data.")
    @APIResponse(responseCode = "204", description = "Erased")
    @APIResponse(responseCode = "403", description = "Password wrong")
    public Uni<Response> erase(PasswordConfirmation confirmation) {
        UUID userId = me(identity);
        String password = confirmation == null ? null : confirmation.password();
        // an erased account was confirmed by the request that erased it: a retry (after a 503 because the deny-list
        // write failed) only writes the revocation again
        boolean stalled = redisStalled(identity);
        Uni<Void> erased = accounts.find(userId).flatMap(user -> user.status == UserStatus.ERASED
                ? erasure.erase(userId, userId, stalled)
                : accounts.requirePassword(user, password, "password")
                        .flatMap(ignored -> erasure.erase(userId, userId, stalled)));
        return deadlines.database(erased).map(ignored -> Response.noContent().build());
    }

    public static UUID me(SecurityIdentity identity) {
        return UUID.fromString(identity.getPrincipal().getName());
    }

    /** Whether this request's deny-list read missed its deadline (Redis is stalled right now). */
    public static boolean redisStalled(SecurityIdentity identity) {
        return Boolean.TRUE.equals(identity.getAttribute(AccessTokenIdentityProvider.REVOCATION_UNCONFIRMED));
    }

    static EntityTag etag(long version) {
        return new EntityTag(Long.toString(version));
    }

    /** If-Match: "3" (quotes optional, W/ tolerated); absent means no precondition. */
    static Long version(String ifMatch) {
        if (ifMatch == null || ifMatch.isBlank() || ifMatch.trim().equals("*")) {
            return null;
        }
        String value = ifMatch.trim().replaceFirst("^W/", "").replace("\"", "");
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new ServiceException(ServiceException.Kind.STALE, "If-Match must be an ETag from this API, got " + ifMatch);
        }
    }
}
