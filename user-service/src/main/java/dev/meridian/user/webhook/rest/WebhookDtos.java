package dev.meridian.user.webhook.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.meridian.user.webhook.WebhookDelivery;
import dev.meridian.user.webhook.WebhookEndpoint;
import dev.meridian.user.webhook.WebhookEventType;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** Bodies of the webhook endpoints. Unknown request fields are rejected (400 naming the field). */
public final class WebhookDtos {

    private WebhookDtos() {
    }

    /** POST: url and eventTypes required; scope "user" (default) or "platform" (admins). */
    public record WebhookRequest(String url, List<String> eventTypes, String description, Boolean enabled,
                                 String scope) {
    }

    /** PATCH: only the fields given change. */
    public record WebhookPatch(String url, List<String> eventTypes, String description, Boolean enabled) {
    }

    /** {@code secret} only in the answers that create it (creation, rotation). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record WebhookView(UUID id, String url, List<String> eventTypes, String description, String scope,
                              boolean enabled, String disabledReason, Instant disabledAt, Instant failingSince,
                              Instant createdAt, Instant updatedAt, String secret) {
        public static WebhookView of(WebhookEndpoint endpoint, String secret) {
            return new WebhookView(endpoint.id, endpoint.url, endpoint.eventTypeNames(), endpoint.description,
                    endpoint.scope, endpoint.enabled, endpoint.disabledReason, endpoint.disabledAt,
                    endpoint.failingSince, endpoint.createdAt, endpoint.updatedAt, secret);
        }
    }

    public record SecretView(String secret, Instant previousSecretValidUntil) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record DeliveryView(long id, String webhookId, String eventType, String status, int attempts,
                               Instant nextAttemptAt, Integer lastStatusCode, String lastError, Integer lastLatencyMs,
                               Long replayOf, Instant createdAt, Instant finishedAt) {
        public static DeliveryView of(WebhookDelivery delivery) {
            boolean pending = WebhookDelivery.PENDING.equals(delivery.status());
            return new DeliveryView(delivery.id(), delivery.messageId(), delivery.eventType(), delivery.status(),
                    delivery.attempts(), pending ? delivery.nextAttemptAt() : null, delivery.lastStatusCode(),
                    delivery.lastError(), delivery.lastLatencyMs(), delivery.replayOf(), delivery.createdAt(),
                    delivery.finishedAt());
        }
    }

    public record DeliveryPage(List<DeliveryView> data, boolean hasMore, Long nextBefore) {
    }

    public record ReplayView(long deliveryId) {
    }

    public record EventTypeView(String name, String cloudEventType, boolean platformOnly) {
        static EventTypeView of(WebhookEventType type) {
            return new EventTypeView(type.typeName(), type.ceType(), type.platformOnly());
        }
    }
}
