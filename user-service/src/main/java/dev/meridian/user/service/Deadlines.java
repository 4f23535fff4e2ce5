package dev.meridian.user.service;

import dev.meridian.user.config.UserServiceConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.JDBCException;

import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * Bounds the waits of a request on PostgreSQL and on Redis writes: past the deadline, or when the dependency is
 * unreachable, the request fails with 503 and Retry-After instead of hanging. A deadline fires on Mutiny's timer
 * thread, so the outcome is handed back to the request's Vert.x context (Hibernate Reactive insists on it).
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
        return bounded(work, database, "the database", Deadlines::isDatabaseOutage);
    }

    /** A deny-list write: any failure means the revocation is not stored, so the client must retry. */
    public <T> Uni<T> redisWrite(Uni<T> work, boolean redisStalled) {
        return bounded(work, redisStalled ? redisWriteAfterStall : redisWrite, "the token deny-list (Redis)", failure -> !(failure instanceof ServiceException));
    }

    private <T> Uni<T> bounded(Uni<T> work, Duration limit, String what,
                               java.util.function.Predicate<Throwable> outage) {
        return Uni.createFrom().deferred(() -> {
            Context context = Vertx.currentContext();
            return work
                    .ifNoItem().after(limit).failWith(() -> new TimeoutException(what + " did not answer within "
                            + limit.toMillis() + " ms"))
                    .onFailure(outage).transform(failure -> ServiceException.unavailable(
                            what + " is not available right now; retry shortly", retryAfterSeconds))
                    .emitOn(task -> {
                        if (context == null || Vertx.currentContext() == context) {
                            task.run();
                        } else {
                            context.runOnContext(ignored -> task.run());
                        }
                    });
        });
    }

    /** Timeouts (ours or PostgreSQL's statement_timeout), refused or lost connections, a server shutting down. */
    static boolean isDatabaseOutage(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof TimeoutException || t instanceof io.smallrye.mutiny.TimeoutException
                    || t instanceof ConnectException || t instanceof ClosedConnectionException) {
                return true;
            }
            String state = t instanceof PgException pg ? pg.getSqlState()
                    : t instanceof JDBCException jdbc ? jdbc.getSQLState() : null;
            if (state != null && (state.startsWith("08") || state.startsWith("57") || state.equals("53300"))) {
                return true; // connection exceptions, query_canceled (statement_timeout), admin shutdown, too many connections
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }
}
