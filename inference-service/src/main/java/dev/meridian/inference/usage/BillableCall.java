package dev.meridian.inference.usage;

import java.util.UUID;

/**
 * What usage needs to know about a call beyond its inputs: the endpoint (a path template, a bounded set), the id the
 * client or gateway gave the call (Idempotency-Key, else X-Request-Id; null: the call is counted as new), and the API
 * key it came through.
 */
public record BillableCall(String endpoint, String clientRequestId, UUID apiKeyId) {

    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    public static final String REQUEST_ID = "X-Request-Id";

    /** The id a retry of the same call carries: the client's Idempotency-Key, else the gateway's X-Request-Id. */
    public static BillableCall of(String endpoint, String idempotencyKey, String requestId, UUID apiKeyId) {
        return new BillableCall(endpoint, idempotencyKey != null && !idempotencyKey.isBlank() ? idempotencyKey
                : requestId != null && !requestId.isBlank() ? requestId : null, apiKeyId);
    }
}
