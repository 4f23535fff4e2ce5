package dev.meridian.user.service;

import dev.meridian.deadline.DatabaseOutage;
import dev.meridian.deadline.Deadline;
import dev.meridian.user.config.UserServiceConfig;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.function.Predicate;

/**
 * Bounds the waits of a request on PostgreSQL and on Redis writes: past the deadline, or when the dependency is
 * unreachable, the request fails with 503 and Retry-After instead of hanging.
 */
@ApplicationScoped
public class Deadlines {

    private final Duration database;
    private final Duration redisWrite;
    private final Duration redisWriteAfterStall;
    private final long retryAfterSeconds;

    public Deadlines(UserServiceConfig config) {
        this.database = config.deadlines().database();
        this.redisWrite = config.deadlines().redisWrite();
        this.redisWriteAfterStall = config.deadlines().redisWriteAfterStall();
        this.retryAfterSeconds = Math.max(1, config.deadlines().retryAfter().toSeconds());
    }

    /** All database work of one request; constraint violations and the like pass through unchanged. */
    public <T> Uni<T> database(Uni<T> work) {
        return bounded(work, database, "the database", DatabaseOutage::test);
    }

    /** A deny-list write: any failure means the revocation is not stored, so the client must retry. */
    public <T> Uni<T> redisWrite(Uni<T> work, boolean redisStalled) {
        return bounded(work, redisStalled ? redisWriteAfterStall : redisWrite, "the token deny-list (Redis)", failure -> !(failure instanceof ServiceException));
    }

    private <T> Uni<T> bounded(Uni<T> work, Duration limit, String what, Predicate<Throwable> outage) {
        return Deadline.within(work, limit, what)
                .onFailure(outage).transform(failure -> ServiceException.unavailable(
                        what + " is not available right now; retry shortly", retryAfterSeconds));
    }
}
