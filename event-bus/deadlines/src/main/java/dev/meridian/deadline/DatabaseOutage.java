package dev.meridian.deadline;

import io.vertx.core.impl.NoStackTraceThrowable;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import org.hibernate.JDBCException;

import java.net.ConnectException;
import java.util.concurrent.TimeoutException;

/** Which failures mean PostgreSQL is slow or out (answer 503 and Retry-After), not that the request was wrong. */
public final class DatabaseOutage {

    /** Vert.x fails statements this way (no exception type of its own) when their connection closes under them. */
    private static final String CLOSED_WHILE_QUEUED = "Connection is not active now";

    private DatabaseOutage() {
    }

    /**
     * Timeouts (ours or PostgreSQL's statement_timeout), refused or lost connections, sessions the server ended, a
     * server shutting down.
     */
    public static boolean test(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof TimeoutException || t instanceof io.smallrye.mutiny.TimeoutException
                    || t instanceof ConnectException || t instanceof ClosedConnectionException) {
                return true;
            }
            if (t instanceof NoStackTraceThrowable && String.valueOf(t.getMessage()).startsWith(CLOSED_WHILE_QUEUED)) {
                return true; // a statement queued on a connection the server closed meanwhile
            }
            if (t instanceof PgException pg && ("FATAL".equals(pg.getSeverity()) || "PANIC".equals(pg.getSeverity()))) {
                return true; // the server ended or refused the session (e.g. a database not accepting connections)
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
