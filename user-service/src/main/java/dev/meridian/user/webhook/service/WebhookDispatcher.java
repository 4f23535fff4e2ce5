package dev.meridian.user.webhook.service;

import dev.meridian.deadline.Deadline;
import dev.meridian.deadline.ThrottledWarning;
import dev.meridian.user.service.MasterKeyCipher;
import dev.meridian.user.webhook.client.WebhookHttpClient;
import dev.meridian.user.webhook.client.WebhookHttpClient.Attempt;
import dev.meridian.user.webhook.config.WebhookConfig;
import dev.meridian.user.webhook.repository.WebhookDeliveryRepository;
import dev.meridian.user.webhook.repository.WebhookDeliveryRepository.Claimed;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends due deliveries. Every instance polls; a claim (a lease in PostgreSQL) makes sure one instance sends a delivery
 * and that an endpoint has one delivery in flight at a time, in order. Each send runs on its own, so a slow endpoint
 * holds one slot, never the others' deliveries. An attempt's outcome is written back; if that fails (database down),
 * the lease runs out and the delivery is sent again: at least once.
 */
@ApplicationScoped
public class WebhookDispatcher {

    private static final Logger LOG = Logger.getLogger(WebhookDispatcher.class);
    private static final Duration DATABASE_DEADLINE = Duration.ofSeconds(5);

    private final WebhookDeliveryRepository deliveries;
    private final WebhookEventService events;
    private final WebhookHttpClient client;
    private final WebhookConfig config;
    private final RetryPolicy retries;
    private final Vertx vertx;
    private final MasterKeyCipher cipher;
    private final Duration lease;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Counter delivered;
    private final Counter retried;
    private final Counter failed;
    private final ThrottledWarning databaseDown = new ThrottledWarning(LOG, Duration.ofSeconds(30));

    public WebhookDispatcher(WebhookDeliveryRepository deliveries, WebhookEventService events, WebhookHttpClient client,
                             WebhookConfig config, Vertx vertx, MasterKeyCipher cipher, MeterRegistry meters) {
        this.deliveries = deliveries;
        this.events = events;
        this.client = client;
        this.config = config;
        this.vertx = vertx;
        this.cipher = cipher;
        this.retries = new RetryPolicy(config.initialBackoff(), config.maxBackoff(), config.retryFor());
        // long enough for the whole exchange (DNS, connect, request) and writing its outcome
        this.lease = config.connectTimeout().plus(config.requestTimeout()).multipliedBy(2).plus(DATABASE_DEADLINE);
        this.delivered = outcome(meters, "delivered");
        this.retried = outcome(meters, "retry");
        this.failed = outcome(meters, "failed");
    }

    @Scheduled(every = "${meridian.webhooks.poll-interval:1s}", delayed = "1s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    Uni<Void> dispatch() {
        int free = config.maxInFlight() - inFlight.get();
        if (free <= 0) {
            return Uni.createFrom().voidItem();
        }
        return Deadline.within(deliveries.claim(free, lease), DATABASE_DEADLINE, "the database")
                .invoke(claimed -> claimed.forEach(this::send))
                .replaceWithVoid()
                .onFailure().recoverWithUni(e -> {
                    databaseDown.warn("webhook deliveries cannot be claimed (PostgreSQL): %s", e);
                    return Uni.createFrom().voidItem();
                });
    }

    @Scheduled(every = "1h", delayed = "1m")
    Uni<Void> prune() {
        return deliveries.prune(config.retention())
                .invoke(count -> LOG.debugf("pruned %d finished webhook deliveries", count))
                .replaceWithVoid()
                .onFailure().recoverWithNull();
    }

    private void send(Claimed delivery) {
        inFlight.incrementAndGet();
        client.post(URI.create(delivery.url()), headers(delivery), delivery.payload())
                .flatMap(attempt -> Deadline.within(settle(delivery, attempt), DATABASE_DEADLINE, "the database"))
                .onTermination().invoke(inFlight::decrementAndGet)
                .subscribe().with(ignored -> {
                }, e -> databaseDown.warn("webhook delivery outcome not stored, it will be sent again: %s", e));
    }

    /** Standard Webhooks headers; during a rotation the previous secret signs as well. */
    private Map<String, String> headers(Claimed delivery) {
        long timestamp = Instant.now().getEpochSecond();
        String signature = WebhookSignature.sign(cipher.open(delivery.secret()), delivery.messageId(), timestamp,
                delivery.payload());
        if (delivery.previousSecret() != null && delivery.previousSecretUntil() != null
                && delivery.previousSecretUntil().isAfter(Instant.now())) {
            signature += " " + WebhookSignature.sign(cipher.open(delivery.previousSecret()), delivery.messageId(),
                    timestamp, delivery.payload());
        }
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("webhook-id", delivery.messageId());
        headers.put("webhook-timestamp", Long.toString(timestamp));
        headers.put("webhook-signature", signature);
        return headers;
    }

    private Uni<Void> settle(Claimed delivery, Attempt attempt) {
        if (attempt.delivered()) {
            delivered.increment();
            return deliveries.settle(delivery, true, null, attempt.status(), null, attempt.latencyMs())
                    .call(() -> deliveries.markEndpoint(delivery.endpointId(), true));
        }
        Instant now = Instant.now();
        Optional<Instant> next = attempt.refused() ? Optional.empty()
                : retries.next(delivery.attempts(), attempt.status(), attempt.retryAfter(), delivery.createdAt(), now);
        (next.isPresent() ? retried : failed).increment();
        return deliveries.settle(delivery, false, next.orElse(null), attempt.status(), attempt.error(),
                        attempt.latencyMs())
                .flatMap(ignored -> deliveries.markEndpoint(delivery.endpointId(), false))
                .flatMap(failingSince -> failingSince != null && failingSince.plus(config.disableAfter()).isBefore(now)
                        ? disable(delivery, failingSince) : Uni.createFrom().voidItem());
    }

    /** Hibernate needs a context of its own: sends share the tick's, and a session must not be shared. */
    private Uni<Void> disable(Claimed delivery, Instant failingSince) {
        return Uni.createFrom().emitter(emitter -> {
            Context context = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
            VertxContextSafetyToggle.setContextSafe(context, true);
            context.runOnContext(ignored -> events.disableFailing(delivery.endpointId(), failingSince)
                    .subscribe().with(emitter::complete, emitter::fail));
        });
    }

    private static Counter outcome(MeterRegistry meters, String outcome) {
        return Counter.builder("meridian.webhooks.attempts").tag("outcome", outcome)
                .description("webhook delivery attempts by outcome (delivered, retry = failed and due again, failed = "
                        + "given up)").register(meters);
    }
}
