package dev.meridian.user.repository;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

/**
 * Failed logins per (account, client address). Plain SQL on the reactive pool: an upsert that counts atomically,
 * outside the login's own transaction (a failure must be counted even though the login fails).
 */
@ApplicationScoped
public class LoginFailureRepository {

    private final Pool pool;

    public LoginFailureRepository(Pool pool) {
        this.pool = pool;
    }

    /** Until when this address is backing off for this account; null when it is not. */
    public Uni<Instant> lockedUntil(UUID userId, String client) {
        return pool.preparedQuery("select locked_until from login_failures where user_id = $1 and client = $2")
                .execute(Tuple.of(userId, client))
                .map(rows -> {
                    if (rows.size() == 0) {
                        return null;
                    }
                    OffsetDateTime until = rows.iterator().next().getOffsetDateTime(0);
                    return until == null ? null : until.toInstant();
                });
    }

    /** Counts one more failure and returns the count. */
    public Uni<Integer> recordFailure(UUID userId, String client, Instant now) {
        return pool.preparedQuery("insert into login_failures as f (user_id, client, failures, last_failure_at)"
                        + " values ($1, $2, 1, $3) on conflict (user_id, client)"
                        + " do update set failures = f.failures + 1, last_failure_at = $3 returning failures")
                .execute(Tuple.of(userId, client, utc(now)))
                .map(rows -> rows.iterator().next().getInteger(0));
    }

    public Uni<Void> lock(UUID userId, String client, Instant until) {
        return pool.preparedQuery("update login_failures set locked_until = $3 where user_id = $1 and client = $2")
                .execute(Tuple.of(userId, client, utc(until))).replaceWithVoid();
    }

    public Uni<Void> clear(UUID userId, String client) {
        return pool.preparedQuery("delete from login_failures where user_id = $1 and client = $2")
                .execute(Tuple.of(userId, client)).replaceWithVoid();
    }

    /** Deletes rows with no failure since {@code quietSince} and no back-off running at {@code now}. */
    public Uni<Integer> forget(Instant quietSince, Instant now) {
        return pool.preparedQuery("delete from login_failures where last_failure_at < $1"
                        + " and (locked_until is null or locked_until < $2)")
                .execute(Tuple.of(utc(quietSince), utc(now)))
                .map(RowSet::rowCount);
    }

    private static OffsetDateTime utc(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }
}
