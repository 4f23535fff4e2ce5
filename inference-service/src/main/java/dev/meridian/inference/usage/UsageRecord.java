package dev.meridian.inference.usage;

import java.time.Instant;
import java.util.UUID;

/**
 * One billable call as it was answered: whose, through which API key, on which model and endpoint, how many inputs and
 * prompt tokens. {@code requestKey} identifies the call: the same call sent again (a retry with the same
 * Idempotency-Key or X-Request-Id and the same inputs, a job chunk run again) has the same key and is counted once.
 * {@code requestId} is the id the call came with (the gateway's X-Request-Id, which its logs and traces carry, or the
 * client's Idempotency-Key; null without either), to find a billed call in the logs.
 */
public record UsageRecord(String requestKey, String requestId, UUID userId, UUID apiKeyId, String model,
                          String endpoint, int inputs, long inputTokens, Instant at) {
}
