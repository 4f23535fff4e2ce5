package dev.meridian.user.webhook;

import dev.meridian.events.EventType;

import java.util.Arrays;
import java.util.Optional;

/**
 * What a webhook can subscribe to: the name users pick, and the CloudEvents type the delivered event carries. Most come
 * from the platform's Kafka topics; API-key and webhook events are produced here, in the transaction of the change.
 * Platform-only types reach platform-scope endpoints (admins') only.
 */
public enum WebhookEventType {

    ACCOUNT_UPDATED("account.updated", EventType.USER_UPDATED.ceType(), false),
    JOB_COMPLETED("job.completed", EventType.INFERENCE_JOB_COMPLETED.ceType(), false),
    JOB_FAILED("job.failed", EventType.INFERENCE_JOB_FAILED.ceType(), false),
    JOB_CANCELLED("job.cancelled", EventType.INFERENCE_JOB_CANCELLED.ceType(), false),
    API_KEY_CREATED("api_key.created", "dev.meridian.user.api_key.created.v1", false),
    API_KEY_REVOKED("api_key.revoked", "dev.meridian.user.api_key.revoked.v1", false),
    WEBHOOK_DISABLED("webhook.disabled", "dev.meridian.user.webhook.disabled.v1", false),
    USER_REGISTERED("user.registered", EventType.USER_REGISTERED.ceType(), true),
    USER_ERASED("user.erased", EventType.USER_ERASED.ceType(), true);

    private final String typeName;
    private final String ceType;
    private final boolean platformOnly;

    WebhookEventType(String typeName, String ceType, boolean platformOnly) {
        this.typeName = typeName;
        this.ceType = ceType;
        this.platformOnly = platformOnly;
    }

    public String typeName() {
        return typeName;
    }

    public String ceType() {
        return ceType;
    }

    public boolean platformOnly() {
        return platformOnly;
    }

    public static Optional<WebhookEventType> named(String name) {
        return Arrays.stream(values()).filter(t -> t.typeName.equals(name)).findFirst();
    }

    public static Optional<WebhookEventType> ofCeType(String ceType) {
        return Arrays.stream(values()).filter(t -> t.ceType.equals(ceType)).findFirst();
    }
}
