package dev.meridian.user;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A subscriber's HTTP endpoint on 127.0.0.1. Paths under {@code /flaky/} fail their first requests in every way a
 * receiver fails (500, 429 with Retry-After, a dropped connection, 503, an answer later than the sender's timeout),
 * then accept; {@code /ok/} accepts at once; {@code /hang/} never answers; {@code /redirect/} answers 302 to /ok/.
 */
final class WebhookReceiver implements AutoCloseable {

    static final int FLAKY_FAILURES = 5;

    /** One request as it arrived, and whether this receiver accepted it (answered 2xx). */
    record Received(String path, String id, String timestamp, String signature, String body, boolean accepted) {
    }

    private final Vertx vertx = Vertx.vertx();
    private final HttpServer server;
    private final Map<String, List<Received>> byPath = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> requestsPerPath = new ConcurrentHashMap<>();

    WebhookReceiver() throws Exception {
        server = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body ->
                        answer(request, body.toString(StandardCharsets.UTF_8))))
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.actualPort() + path;
    }

    private void answer(HttpServerRequest request, String body) {
        String path = request.path();
        int n = requestsPerPath.computeIfAbsent(path, p -> new AtomicInteger()).getAndIncrement();
        if (path.startsWith("/hang/")) {
            record(request, body, false);
            return;
        }
        if (path.startsWith("/redirect/")) {
            record(request, body, false);
            request.response().setStatusCode(302).putHeader("Location", url("/ok/redirected")).end();
            return;
        }
        if (path.startsWith("/failing/")) {
            record(request, body, false);
            request.response().setStatusCode(500).end();
            return;
        }
        if (path.startsWith("/flaky/") && n < FLAKY_FAILURES) {
            switch (n) {
                case 0 -> respond(request, body, 500, null);
                case 1 -> respond(request, body, 429, "1");
                case 2 -> {
                    record(request, body, false);
                    request.connection().close();
                }
                case 3 -> respond(request, body, 503, null);
                // answered after the sender gave up: accepted here, a failure there (so it comes again)
                default -> vertx.setTimer(3000, ignored -> respond(request, body, 200, null));
            }
            return;
        }
        respond(request, body, 204, null);
    }

    private void respond(HttpServerRequest request, String body, int status, String retryAfter) {
        record(request, body, status < 300);
        if (retryAfter != null) {
            request.response().putHeader("Retry-After", retryAfter);
        }
        request.response().setStatusCode(status).end("x".repeat(100_000));
    }

    private void record(HttpServerRequest request, String body, boolean accepted) {
        byPath.computeIfAbsent(request.path(), p -> java.util.Collections.synchronizedList(new ArrayList<>()))
                .add(new Received(request.path(), request.getHeader("webhook-id"), request.getHeader("webhook-timestamp"),
                        request.getHeader("webhook-signature"), body, accepted));
    }

    List<Received> received(String path) {
        List<Received> list = byPath.getOrDefault(path, List.of());
        synchronized (list) {
            return List.copyOf(list);
        }
    }

    /** Ids of accepted deliveries in the order they were first accepted (a receiver dedupes by webhook-id). */
    List<Received> acceptedOnce(String path) {
        List<Received> once = new ArrayList<>();
        for (Received r : received(path)) {
            if (r.accepted() && once.stream().noneMatch(seen -> seen.id().equals(r.id()))) {
                once.add(r);
            }
        }
        return once;
    }

    int requests(String path) {
        AtomicInteger count = requestsPerPath.get(path);
        return count == null ? 0 : count.get();
    }

    /**
     * Verifies a delivery as the Standard Webhooks specification says, written from the specification here (not with
     * the platform's signer): HMAC-SHA256 of "id.timestamp.body" keyed by the base64 after "whsec_", any of the
     * space-separated "v1,<base64>" signatures, timestamp within five minutes.
     */
    static boolean verifies(Received delivery, String secret) throws Exception {
        long timestamp = Long.parseLong(delivery.timestamp());
        if (Math.abs(Instant.now().getEpochSecond() - timestamp) > 300) {
            return false;
        }
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
        byte[] expected = mac.doFinal((delivery.id() + "." + delivery.timestamp() + "." + delivery.body())
                .getBytes(StandardCharsets.UTF_8));
        for (String signature : delivery.signature().split(" ")) {
            String[] parts = signature.split(",", 2);
            if (parts.length == 2 && parts[0].equals("v1")
                    && MessageDigest.isEqual(expected, Base64.getDecoder().decode(parts[1]))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
