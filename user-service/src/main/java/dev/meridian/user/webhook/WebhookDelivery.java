package dev.meridian.user.webhook;

import java.time.Instant;
import java.util.UUID;

/** One delivery of one event to one endpoint, as its log shows it: state, attempts and the last attempt's outcome. */
public record WebhookDelivery(long id, UUID endpointId, String messageId, String eventType, String status, int attempts,
                              Instant nextAttemptAt, Integer lastStatusCode, String lastError, Integer lastLatencyMs,
                              Long replayOf, Instant createdAt, Instant finishedAt) {

    public static final String PENDING = "pending";
    public static final String DELIVERED = "delivered";
    public static final String FAILED = "failed";
}
