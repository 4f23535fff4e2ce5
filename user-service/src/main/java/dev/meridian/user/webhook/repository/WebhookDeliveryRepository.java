package dev.meridian.user.webhook.repository;

import dev.meridian.user.webhook.WebhookDelivery;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The delivery queue and log. Queueing, replaying and erasing run in the caller's Hibernate transaction (with the
 * change that caused them); the dispatcher's claims and outcomes go straight to the pool, one statement each.
 */
@ApplicationScoped
public class WebhookDeliveryRepository {

    private static final String COLUMNS = "id, endpoint_id, message_id, event_type, status, attempts, next_attempt_at, "
            + "last_status_code, last_error, last_latency_ms, replay_of, created_at, finished_at";

    private static final String OWNED_COLUMNS = "d." + COLUMNS.replace(", ", ", d.");

    private final Pool pool;

    /** A delivery taken by this instance until {@code leaseUntil}, with what it needs to be sent. */
    public record Claimed(long id, UUID endpointId, String messageId, String payload, int attempts, Instant createdAt,
                          String url, String secret, String previousSecret, Instant previousSecretUntil) {
    }

    public WebhookDeliveryRepository(Pool pool) {
        this.pool = pool;
    }

    /** Queues an event for an endpoint once: the same message for the same endpoint again changes nothing. */
    public Uni<Integer> queue(UUID endpointId, String messageId, String eventType, UUID subjectUserId, String payload) {
        return Panache.getSession().flatMap(session -> session.createNativeQuery("""
                        INSERT INTO webhook_deliveries (endpoint_id, message_id, event_type, subject_user_id, payload,
                                                        status, next_attempt_at, created_at)
                        VALUES (:endpoint, :message, :type, :subject, :payload, 'pending', now(), now())
                        ON CONFLICT (endpoint_id, message_id) WHERE replay_of IS NULL DO NOTHING""")
                .setParameter("endpoint", endpointId)
                .setParameter("message", messageId)
                .setParameter("type", eventType)
                .setParameter("subject", subjectUserId)
                .setParameter("payload", payload)
                .executeUpdate());
    }

    /** Whether the endpoint has at least {@code max} undelivered events (counts no further than that). */
    public Uni<Boolean> backlogAtLeast(UUID endpointId, int max) {
        return Panache.getSession().flatMap(session -> session.createNativeQuery("""
                        SELECT count(*) FROM (SELECT 1 FROM webhook_deliveries
                                              WHERE endpoint_id = :endpoint AND status = 'pending' LIMIT :max) backlog""",
                        Long.class)
                .setParameter("endpoint", endpointId)
                .setParameter("max", max)
                .getSingleResult()
                .map(count -> count >= max));
    }

    /** A new delivery of an earlier one (same message id and body), queued behind the endpoint's others. */
    public Uni<Long> replay(UUID endpointId, long deliveryId) {
        return pool.preparedQuery("""
                        INSERT INTO webhook_deliveries (endpoint_id, message_id, event_type, subject_user_id, payload,
                                                        replay_of, status, next_attempt_at, created_at)
                        SELECT endpoint_id, message_id, event_type, subject_user_id, payload, id, 'pending', now(), now()
                        FROM webhook_deliveries WHERE id = $1 AND endpoint_id = $2
                        RETURNING id""")
                .execute(Tuple.of(deliveryId, endpointId))
                .map(rows -> rows.iterator().hasNext() ? rows.iterator().next().getLong(0) : null);
    }

    /** Every delivery that carries this user's data, whoever's endpoint it was for. */
    public Uni<Integer> eraseAbout(UUID userId) {
        return Panache.getSession().flatMap(session -> session.createNativeQuery(
                        "DELETE FROM webhook_deliveries WHERE subject_user_id = :user")
                .setParameter("user", userId)
                .executeUpdate());
    }

    /** The endpoint's log, newest first, before the given delivery id (paging). */
    public Uni<List<WebhookDelivery>> page(UUID endpointId, Long beforeId, String status, int limit) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM webhook_deliveries WHERE endpoint_id = $1"
                        + " AND ($2::bigint IS NULL OR id < $2) AND ($3::text IS NULL OR status = $3)"
                        + " ORDER BY id DESC LIMIT $4")
                .execute(Tuple.of(endpointId, beforeId, status, limit))
                .map(WebhookDeliveryRepository::deliveries);
    }

    /** Deliveries of the user's endpoints for an export, newest first, at most {@code limit}. */
    public Uni<List<WebhookDelivery>> ofOwner(UUID userId, int limit) {
        return pool.preparedQuery("SELECT " + OWNED_COLUMNS + " FROM webhook_deliveries d"
                        + " JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE e.user_id = $1"
                        + " ORDER BY d.id DESC LIMIT $2")
                .execute(Tuple.of(userId, limit))
                .map(WebhookDeliveryRepository::deliveries);
    }

    /**
     * Takes up to {@code limit} deliveries that are due, each the oldest pending one of an enabled endpoint that no
     * instance holds: one delivery per endpoint in flight, in order. A lease that runs out (its instance died) makes
     * the delivery due again, so it is sent at least once.
     */
    public Uni<List<Claimed>> claim(int limit, Duration lease) {
        return pool.preparedQuery("""
                        WITH heads AS (
                            SELECT DISTINCT ON (d.endpoint_id) d.id
                            FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.enabled
                            WHERE d.status = 'pending'
                            ORDER BY d.endpoint_id, d.id
                        ), due AS (
                            SELECT d.id FROM webhook_deliveries d JOIN heads h ON h.id = d.id
                            WHERE d.next_attempt_at <= now() AND (d.lease_until IS NULL OR d.lease_until < now())
                            LIMIT $1
                            FOR UPDATE OF d SKIP LOCKED
                        )
                        UPDATE webhook_deliveries d
                        SET lease_until = now() + make_interval(secs => $2), attempts = d.attempts + 1
                        FROM due, webhook_endpoints e
                        WHERE d.id = due.id AND e.id = d.endpoint_id
                        RETURNING d.id, d.endpoint_id, d.message_id, d.payload, d.attempts, d.created_at, e.url,
                                  e.secret, e.previous_secret, e.previous_secret_until""")
                .execute(Tuple.of(limit, (double) lease.toMillis() / 1000))
                .map(rows -> {
                    List<Claimed> claimed = new ArrayList<>();
                    rows.forEach(row -> claimed.add(new Claimed(row.getLong("id"), row.getUUID("endpoint_id"),
                            row.getString("message_id"), row.getString("payload"), row.getInteger("attempts"),
                            instant(row, "created_at"), row.getString("url"), row.getString("secret"),
                            row.getString("previous_secret"), instant(row, "previous_secret_until"))));
                    return claimed;
                });
    }

    /**
     * Records an attempt's outcome: delivered, failed for good ({@code nextAttempt} null and not delivered), or due
     * again at {@code nextAttempt}. Only the attempt that holds the lease writes (attempts still matches).
     */
    public Uni<Void> settle(Claimed delivery, boolean delivered, Instant nextAttempt, int status, String error,
                            long latencyMs) {
        String state = delivered ? "delivered" : nextAttempt == null ? "failed" : "pending";
        return pool.preparedQuery("""
                        UPDATE webhook_deliveries
                        SET status = $3, lease_until = NULL, next_attempt_at = coalesce($4, next_attempt_at),
                            last_status_code = $5, last_error = $6, last_latency_ms = $7,
                            finished_at = CASE WHEN $3 = 'pending' THEN NULL ELSE now() END
                        WHERE id = $1 AND attempts = $2 AND status = 'pending'""")
                .execute(Tuple.from(List.of(delivery.id(), delivery.attempts(), state)).addValue(offset(nextAttempt))
                        .addValue(status == 0 ? null : status).addValue(error).addValue((int) Math.min(latencyMs, Integer.MAX_VALUE)))
                .replaceWithVoid();
    }

    /** Marks the endpoint healthy, or failing since now if it was not yet; returns since when it fails (null if ok). */
    public Uni<Instant> markEndpoint(UUID endpointId, boolean healthy) {
        return pool.preparedQuery(healthy
                        ? "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL"
                        + " RETURNING failing_since"
                        : "UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, now()) WHERE id = $1"
                        + " RETURNING failing_since")
                .execute(Tuple.of(endpointId))
                .map(rows -> rows.iterator().hasNext() ? instant(rows.iterator().next(), "failing_since") : null);
    }

    /** Deletes finished deliveries older than the retention; returns how many went. */
    public Uni<Integer> prune(Duration retention) {
        return pool.preparedQuery("DELETE FROM webhook_deliveries WHERE status <> 'pending'"
                        + " AND finished_at < now() - make_interval(secs => $1)")
                .execute(Tuple.of((double) retention.toSeconds()))
                .map(rows -> rows.rowCount());
    }

    private static List<WebhookDelivery> deliveries(RowSet<Row> rows) {
        List<WebhookDelivery> list = new ArrayList<>();
        rows.forEach(row -> list.add(delivery(row)));
        return list;
    }

    private static WebhookDelivery delivery(Row row) {
        return new WebhookDelivery(row.getLong("id"), row.getUUID("endpoint_id"), row.getString("message_id"),
                row.getString("event_type"), row.getString("status"), row.getInteger("attempts"),
                instant(row, "next_attempt_at"), row.getInteger("last_status_code"), row.getString("last_error"),
                row.getInteger("last_latency_ms"), row.getLong("replay_of"), instant(row, "created_at"),
                instant(row, "finished_at"));
    }

    private static Instant instant(Row row, String column) {
        OffsetDateTime value = row.getOffsetDateTime(column);
        return value == null ? null : value.toInstant();
    }

    private static OffsetDateTime offset(Instant instant) {
        return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
    }
}
