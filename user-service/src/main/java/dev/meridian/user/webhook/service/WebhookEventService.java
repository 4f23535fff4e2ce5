package dev.meridian.user.webhook.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.meridian.events.EventEnvelope;
import dev.meridian.events.EventSerde;
import dev.meridian.events.MeridianEvent;
import dev.meridian.events.inference.InferenceJobCancelled;
import dev.meridian.events.inference.InferenceJobCompleted;
import dev.meridian.events.inference.InferenceJobFailed;
import dev.meridian.events.user.UserErased;
import dev.meridian.events.user.UserRegistered;
import dev.meridian.events.user.UserStatus;
import dev.meridian.events.user.UserUpdated;
import dev.meridian.user.repository.UserRepository;
import dev.meridian.user.webhook.WebhookEndpoint;
import dev.meridian.user.webhook.WebhookEventType;
import dev.meridian.user.webhook.config.WebhookConfig;
import dev.meridian.user.webhook.repository.WebhookDeliveryRepository;
import dev.meridian.user.webhook.repository.WebhookEndpointRepository;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Turns events into deliveries: one per enabled endpoint subscribed to the event (the subject user's own endpoints,
 * and platform-scope ones). Always inside the transaction of what caused it, so an acknowledged change has its
 * deliveries and a failed one has none. The body is the event as a structured CloudEvent.
 */
@ApplicationScoped
public class WebhookEventService {

    private final WebhookEndpointRepository endpoints;
    private final WebhookDeliveryRepository deliveries;
    private final UserRepository users;
    private final WebhookConfig config;
    private final ObjectMapper json;
    private final String source;

    public WebhookEventService(WebhookEndpointRepository endpoints, WebhookDeliveryRepository deliveries,
                               UserRepository users, WebhookConfig config, ObjectMapper json,
                               @ConfigProperty(name = "quarkus.application.name") String service) {
        this.endpoints = endpoints;
        this.deliveries = deliveries;
        this.users = users;
        this.config = config;
        this.json = json;
        this.source = "/" + service;
    }

    /** An event produced here (API keys, webhooks); call it inside the transaction of the change. */
    public Uni<Void> publish(WebhookEventType type, UUID subjectUserId, String subject, Map<String, Object> data) {
        String id = UUID.randomUUID().toString();
        return queue(type, subjectUserId, id, cloudEvent(id, source, type.ceType(), Instant.now(), subject,
                json.valueToTree(data)));
    }

    /**
     * A platform event consumed from Kafka. Its id is the webhook-id, so an event consumed twice is delivered once.
     * Events about a user erased meanwhile are dropped (they carry the personal data erasure removed), except the
     * erasure itself.
     */
    @WithTransaction
    public Uni<Void> fromBus(EventEnvelope<MeridianEvent> event) {
        Optional<WebhookEventType> mapped = WebhookEventType.ofCeType(event.type().ceType());
        if (mapped.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        WebhookEventType type = mapped.get();
        UUID subjectUser = subjectUser(event.data());
        String body;
        try {
            body = cloudEvent(event.id(), event.source(), type.ceType(), event.time(), event.subject(),
                    json.readTree(EventSerde.serialize(event.data())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return users.findById(subjectUser).flatMap(user -> user != null && user.status == UserStatus.ERASED
                && type != WebhookEventType.USER_ERASED
                ? Uni.createFrom().voidItem()
                : queue(type, subjectUser, event.id(), body));
    }

    /** Disables an endpoint (failing for too long, or too far behind) and tells its owner. */
    public Uni<Void> disable(WebhookEndpoint endpoint, String reason) {
        Instant now = Instant.now();
        endpoint.enabled = false;
        endpoint.disabledReason = reason;
        endpoint.disabledAt = now;
        endpoint.updatedAt = now;
        return publish(WebhookEventType.WEBHOOK_DISABLED, endpoint.userId, endpoint.id.toString(), Map.of(
                "webhookId", endpoint.id, "url", endpoint.url, "reason", reason, "disabledAt", now));
    }

    /** The dispatcher's way in: disables the endpoint if it is still failing since {@code failingSince}. */
    @WithTransaction
    public Uni<Void> disableFailing(UUID endpointId, Instant failingSince) {
        return endpoints.findById(endpointId).flatMap(endpoint -> endpoint == null || !endpoint.enabled
                || endpoint.failingSince == null
                ? Uni.createFrom().voidItem()
                : disable(endpoint, "every delivery attempt has failed since " + failingSince.truncatedTo(ChronoUnit.SECONDS)));
    }

    private Uni<Void> queue(WebhookEventType type, UUID subjectUser, String messageId, String body) {
        return endpoints.candidatesFor(subjectUser).flatMap(candidates -> {
            List<UUID> ids = candidates.stream().filter(e -> e.receives(type, subjectUser)).map(e -> e.id).toList();
            if (ids.isEmpty()) {
                return Uni.createFrom().voidItem();
            }
            return endpoints.lock(ids).flatMap(locked -> Multi.createFrom().iterable(locked)
                    .onItem().transformToUniAndConcatenate(endpoint -> deliveries
                            .queue(endpoint.id, messageId, type.typeName(), subjectUser, body)
                            .flatMap(ignored -> deliveries.backlogAtLeast(endpoint.id, config.maxPendingPerEndpoint()))
                            .flatMap(full -> full && endpoint.enabled
                                    ? disable(endpoint, "more than " + config.maxPendingPerEndpoint()
                                    + " events are waiting to be delivered")
                                    : Uni.createFrom().voidItem()))
                    .collect().last().replaceWithVoid());
        });
    }

    private String cloudEvent(String id, String source, String type, Instant time, String subject, Object data) {
        ObjectNode event = json.createObjectNode()
                .put("specversion", "1.0")
                .put("id", id)
                .put("source", source)
                .put("type", type)
                .put("subject", subject)
                .put("time", time.toString())
                .put("datacontenttype", "application/json");
        event.set("data", json.valueToTree(data));
        return event.toString();
    }

    private static UUID subjectUser(MeridianEvent event) {
        if (event instanceof UserRegistered e) {
            return e.userId();
        } else if (event instanceof UserUpdated e) {
            return e.userId();
        } else if (event instanceof UserErased e) {
            return e.userId();
        } else if (event instanceof InferenceJobCompleted e) {
            return e.userId();
        } else if (event instanceof InferenceJobFailed e) {
            return e.userId();
        } else if (event instanceof InferenceJobCancelled e) {
            return e.userId();
        }
        throw new IllegalArgumentException("no webhook event for " + event.getClass().getSimpleName());
    }
}
