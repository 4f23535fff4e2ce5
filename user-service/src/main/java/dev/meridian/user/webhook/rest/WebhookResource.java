package dev.meridian.user.webhook.rest;

import dev.meridian.user.User;
import dev.meridian.user.rest.Bodies;
import dev.meridian.user.rest.UserResource;
import dev.meridian.user.service.Deadlines;
import dev.meridian.user.service.ServiceException;
import dev.meridian.user.webhook.WebhookDelivery;
import dev.meridian.user.webhook.WebhookEndpoint;
import dev.meridian.user.webhook.WebhookEventType;
import dev.meridian.user.webhook.rest.WebhookDtos.DeliveryPage;
import dev.meridian.user.webhook.rest.WebhookDtos.DeliveryView;
import dev.meridian.user.webhook.rest.WebhookDtos.EventTypeView;
import dev.meridian.user.webhook.rest.WebhookDtos.ReplayView;
import dev.meridian.user.webhook.rest.WebhookDtos.SecretView;
import dev.meridian.user.webhook.rest.WebhookDtos.WebhookPatch;
import dev.meridian.user.webhook.rest.WebhookDtos.WebhookRequest;
import dev.meridian.user.webhook.rest.WebhookDtos.WebhookView;
import dev.meridian.user.webhook.service.WebhookService;
import dev.meridian.user.webhook.service.WebhookService.Changes;
import dev.meridian.user.webhook.service.WebhookService.Owner;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.Arrays;
import java.util.List;
import java.util.UUID;

@Path("/v1/webhooks")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "webhooks", description = "Signed HTTP callbacks (Standard Webhooks) for your events")
public class WebhookResource {

    private final WebhookService webhooks;
    private final SecurityIdentity identity;
    private final Deadlines deadlines;

    public WebhookResource(WebhookService webhooks, SecurityIdentity identity, Deadlines deadlines) {
        this.webhooks = webhooks;
        this.identity = identity;
        this.deadlines = deadlines;
    }

    @GET
    @Path("event-types")
    @Operation(summary = "Event types you can subscribe to", description = "Platform-only ones need scope platform.")
    public List<EventTypeView> eventTypes() {
        return Arrays.stream(WebhookEventType.values()).map(EventTypeView::of).toList();
    }

    @POST
    @Operation(summary = "Subscribe a URL to events", description = "The signing secret (whsec_...) is shown once, "
            + "in this response only. Loopback, private and link-local targets are refused.")
    @APIResponse(responseCode = "201", description = "Created; 'secret' verifies the deliveries")
    @APIResponse(responseCode = "403", description = "scope platform without the admin role")
    @APIResponse(responseCode = "409", description = "Too many webhooks already")
    @APIResponse(responseCode = "422", description = "Bad url (or one that reaches an internal address), event types")
    public Uni<Response> create(WebhookRequest request) {
        Bodies.required(request);
        Owner owner = owner();
        if (WebhookEndpoint.SCOPE_PLATFORM.equals(request.scope()) && UserResource.redisStalled(identity)) {
            throw ServiceException.unavailable("whether your token has been revoked cannot be checked right now; "
                    + "platform-wide webhooks need that check. Retry shortly", 1);
        }
        return deadlines.database(webhooks.create(owner, request.scope(),
                        new Changes(request.url(), request.eventTypes(), request.description(), request.enabled())))
                .map(created -> Response.status(201).entity(WebhookView.of(created.endpoint(), created.secret()))
                        .build());
    }

    @GET
    @Operation(summary = "List your webhooks", description = "Never the secrets.")
    public Uni<List<WebhookView>> list() {
        return deadlines.database(webhooks.list(owner()))
                .map(endpoints -> endpoints.stream().map(endpoint -> WebhookView.of(endpoint, null)).toList());
    }

    @GET
    @Path("{id}")
    @Operation(summary = "One of your webhooks", description = "Including why it was disabled, if it was.")
    @APIResponse(responseCode = "404", description = "No such webhook of yours")
    public Uni<WebhookView> get(@PathParam("id") UUID id) {
        return deadlines.database(webhooks.get(owner(), id)).map(endpoint -> WebhookView.of(endpoint, null));
    }

    @PATCH
    @Path("{id}")
    @Operation(summary = "Change a webhook", description = "url, eventTypes, description, enabled; enabling a "
            + "disabled webhook sends what waited meanwhile.")
    public Uni<WebhookView> update(@PathParam("id") UUID id, WebhookPatch patch) {
        Bodies.required(patch);
        return deadlines.database(webhooks.update(owner(), id,
                        new Changes(patch.url(), patch.eventTypes(), patch.description(), patch.enabled())))
                .map(endpoint -> WebhookView.of(endpoint, null));
    }

    @DELETE
    @Path("{id}")
    @Operation(summary = "Delete a webhook", description = "Its delivery log goes with it.")
    @APIResponse(responseCode = "204", description = "Deleted")
    public Uni<Response> delete(@PathParam("id") UUID id) {
        return deadlines.database(webhooks.delete(owner(), id)).map(ignored -> Response.noContent().build());
    }

    @POST
    @Path("{id}/secret/rotate")
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Rotate the signing secret", description = "The new secret is shown once; deliveries carry "
            + "signatures of both secrets until previousSecretValidUntil.")
    public Uni<SecretView> rotate(@PathParam("id") UUID id) {
        return deadlines.database(webhooks.rotateSecret(owner(), id))
                .map(rotated -> new SecretView(rotated.secret(), rotated.endpoint().previousSecretUntil));
    }

    @GET
    @Path("{id}/deliveries")
    @Operation(summary = "The webhook's deliveries, newest first", description = "Status, attempts, the last "
            + "attempt's HTTP status, error and latency, the next attempt. Page with before=nextBefore.")
    public Uni<DeliveryPage> deliveries(@PathParam("id") UUID id, @QueryParam("before") Long before,
                                        @QueryParam("status") String status,
                                        @QueryParam("limit") @DefaultValue("20") int limit) {
        if (limit < 1 || limit > 100) {
            throw new ServiceException(ServiceException.Kind.INVALID, "limit must be between 1 and 100", "limit");
        }
        return deadlines.database(webhooks.deliveries(owner(), id, before, status, limit + 1)).map(page -> {
            boolean more = page.size() > limit;
            List<WebhookDelivery> shown = more ? page.subList(0, limit) : page;
            return new DeliveryPage(shown.stream().map(DeliveryView::of).toList(), more,
                    more ? shown.get(shown.size() - 1).id() : null);
        });
    }

    @POST
    @Path("{id}/deliveries/{deliveryId}/replay")
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Send a delivery again", description = "Same webhook-id and body, after the webhook's other "
            + "waiting deliveries.")
    @APIResponse(responseCode = "202", description = "Queued")
    public Uni<Response> replay(@PathParam("id") UUID id, @PathParam("deliveryId") long deliveryId) {
        return deadlines.database(webhooks.replay(owner(), id, deliveryId))
                .map(replay -> Response.accepted(new ReplayView(replay)).build());
    }

    private Owner owner() {
        return new Owner(UserResource.me(identity), identity.hasRole(User.ROLE_ADMIN));
    }
}
