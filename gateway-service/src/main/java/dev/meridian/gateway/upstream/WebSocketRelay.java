package dev.meridian.gateway.upstream;

import dev.meridian.gateway.auth.EdgeTokenVerifier;
import dev.meridian.gateway.auth.EdgeTokenVerifier.Identity;
import dev.meridian.gateway.config.GatewayConfig;
import dev.meridian.gateway.ratelimit.RateLimitGuard;
import dev.meridian.gateway.ratelimit.RateLimiter;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.time.Duration;

/**
 * One client's WebSocket relayed to its upstream, under the same policies as a request:
 * <ul>
 * <li>every message from the client spends one request of its caller's limit (and is checked against the deny-list
 * in the same Redis call); one over the limit is not relayed, the client gets an error message in the stream's
 * shape instead ({@code {"id", "error": {...}}});</li>
 * <li>a revoked, disabled or erased caller is found by the next message or by a check every revalidation interval,
 * and an expired token at its expiry: the socket closes with 1008 (policy violation);</li>
 * <li>a side is read only while the other side can take what it sends, so a client that never reads holds at most
 * the write queues' worth of the gateway's memory.</li>
 * </ul>
 */
final class WebSocketRelay {

    static final short POLICY_VIOLATION = 1008;
    static final short TRY_AGAIN_LATER = 1013;

    private final Vertx vertx;
    private final ServerWebSocket downstream;
    private final WebSocket upstream;
    private final RateLimitGuard guard;
    private final EdgeTokenVerifier verifier;
    private final Identity identity;
    private final String policy;
    private final String subject;
    private final GatewayConfig.FailureMode mode;
    private boolean deciding;
    /** The client's current message was refused: its continuation frames are dropped too. */
    private boolean dropping;
    private boolean closed;
    private long revalidation = -1;
    private long expiry = -1;

    WebSocketRelay(Vertx vertx, ServerWebSocket downstream, WebSocket upstream, RateLimitGuard guard,
                   EdgeTokenVerifier verifier, Identity identity, String policy, String subject,
                   GatewayConfig.FailureMode mode) {
        this.vertx = vertx;
        this.downstream = downstream;
        this.upstream = upstream;
        this.guard = guard;
        this.verifier = verifier;
        this.identity = identity;
        this.policy = policy;
        this.subject = subject;
        this.mode = mode;
    }

    void start(Duration revalidateEvery) {
        downstream.frameHandler(this::fromClient);
        upstream.frameHandler(frame -> {
            downstream.writeFrame(frame);
            flow();
        });
        downstream.drainHandler(v -> flow());
        upstream.drainHandler(v -> flow());
        downstream.closeHandler(v -> close(null, null));
        upstream.closeHandler(v -> close(upstream.closeStatusCode(), upstream.closeReason()));
        downstream.exceptionHandler(e -> close(null, null));
        upstream.exceptionHandler(e -> close(null, null));
        if (identity != null) {
            revalidation = vertx.setPeriodic(Math.max(1, revalidateEvery.toMillis()), id -> revalidate());
            // a token exchanged for an API key is renewed by the gateway: the key's revocation is what ends it
            if (identity.apiKeyId() == null) {
                long left = identity.expiresAt() * 1000 - System.currentTimeMillis();
                expiry = vertx.setTimer(Math.max(1, left), id -> close(POLICY_VIOLATION, "token expired"));
            }
        }
    }

    private void fromClient(WebSocketFrame frame) {
        if (closed) {
            return;
        }
        if (frame.isContinuation()) {
            if (!dropping) {
                upstream.writeFrame(frame);
            }
            flow();
            return;
        }
        if (!(frame.isText() || frame.isBinary()) || !guard.enabled()) {
            upstream.writeFrame(frame);
            flow();
            return;
        }
        // one message at a time: the next is read once this one's decision is in, so order is kept
        deciding = true;
        downstream.pause();
        guard.acquire(policy, subject, identity, mode).subscribe().with(decision -> {
            deciding = false;
            if (closed) {
                return;
            }
            if (decision != null && decision.revoked()) {
                close(POLICY_VIOLATION, "token revoked");
                return;
            }
            dropping = decision != null && !decision.allowed();
            if (dropping) {
                downstream.writeTextMessage(limited(frame, decision));
            } else {
                upstream.writeFrame(frame);
            }
            flow();
        }, e -> {
            deciding = false;
            // only a route that fails closed refuses while Redis is away
            close(TRY_AGAIN_LATER, "rate limiting unavailable");
        });
    }

    /** Reads a side only while the other can take what it would send. */
    private void flow() {
        if (closed) {
            return;
        }
        if (downstream.writeQueueFull()) {
            upstream.pause();
        } else {
            upstream.resume();
        }
        if (deciding || upstream.writeQueueFull() || downstream.writeQueueFull()) {
            downstream.pause();
        } else {
            downstream.resume();
        }
    }

    private void revalidate() {
        EdgeTokenVerifier.RevocationCheck check = mode == GatewayConfig.FailureMode.CLOSED
                ? EdgeTokenVerifier.RevocationCheck.FAIL_CLOSED : EdgeTokenVerifier.RevocationCheck.FAIL_OPEN;
        verifier.verify(identity.accessToken(), check).subscribe().with(ok -> { }, e -> {
            if (e instanceof EdgeTokenVerifier.VerificationException failure) {
                switch (failure.failure()) {
                    case REVOKED -> close(POLICY_VIOLATION, "token revoked");
                    case INVALID -> close(POLICY_VIOLATION, "token expired or invalid");
                    case REVOCATIONS_UNAVAILABLE -> close(TRY_AGAIN_LATER, "token revocations cannot be checked");
                    case KEYS_UNAVAILABLE -> { } // the key set is being reloaded: the token was good, check again later
                }
            }
        });
    }

    /** The stream's error message for a message over the limit, with the message's id when it had one. */
    private static String limited(WebSocketFrame frame, RateLimiter.Decision decision) {
        Object id = null;
        if (frame.isText() && frame.isFinal()) {
            try {
                id = new JsonObject(frame.textData()).getValue("id");
            } catch (DecodeException | ClassCastException e) {
                // not a JSON object: the error goes without an id
            }
        }
        long retryAfter = Math.max(1, (long) Math.ceil(decision.retryAfterMicros() / 1_000_000.0));
        return new JsonObject().put("id", id).put("error", new JsonObject()
                .put("message", "rate limit '" + decision.policy().name() + "' exceeded; retry in " + retryAfter + " s")
                .put("type", "rate_limit_error").putNull("param").put("code", "rate_limit_exceeded")
                .put("retry_after", retryAfter)).encode();
    }

    private void close(Short code, String reason) {
        if (closed) {
            return;
        }
        closed = true;
        vertx.cancelTimer(revalidation);
        vertx.cancelTimer(expiry);
        if (!upstream.isClosed()) {
            upstream.close();
        }
        if (!downstream.isClosed()) {
            if (code != null) {
                downstream.close(code, reason);
            } else {
                downstream.close();
            }
        }
    }
}
