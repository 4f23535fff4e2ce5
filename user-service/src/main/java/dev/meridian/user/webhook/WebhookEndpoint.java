package dev.meridian.user.webhook;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.DynamicUpdate;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * Where and what to deliver. The secret signs deliveries; after a rotation the previous one signs too for a while.
 * Only changed columns are written: the dispatcher updates failing_since beside Hibernate.
 */
@Entity
@DynamicUpdate
@Table(name = "webhook_endpoints")
public class WebhookEndpoint {

    public static final String SCOPE_USER = "user";
    /** Receives the subscribed events of every user; only admins create these. */
    public static final String SCOPE_PLATFORM = "platform";

    @Id
    public UUID id;

    public UUID userId;

    public String scope;

    public String url;

    public String description;

    /** Space-separated webhook event type names. */
    public String eventTypes;

    public boolean enabled;

    /** Sealed under the master key ({@link dev.meridian.user.service.MasterKeyCipher}), as is the previous one. */
    public String secret;

    public String previousSecret;

    public Instant previousSecretUntil;

    /** Since when every attempt has failed; cleared by a successful delivery. */
    public Instant failingSince;

    public String disabledReason;

    public Instant disabledAt;

    public Instant createdAt;

    public Instant updatedAt;

    public List<String> eventTypeNames() {
        return eventTypes.isEmpty() ? List.of() : Arrays.asList(eventTypes.split(" "));
    }

    public boolean platform() {
        return SCOPE_PLATFORM.equals(scope);
    }

    /** Whether an event of {@code type} about {@code subjectUserId} goes to this endpoint. */
    public boolean receives(WebhookEventType type, UUID subjectUserId) {
        if (!enabled || !eventTypeNames().contains(type.typeName())) {
            return false;
        }
        return platform() || (!type.platformOnly() && userId.equals(subjectUserId));
    }
}
