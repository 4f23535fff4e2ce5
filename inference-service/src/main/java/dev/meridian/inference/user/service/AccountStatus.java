package dev.meridian.inference.user.service;

import dev.meridian.inference.security.IdentityConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowIterator;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.UUID;

/**
 * The account status users.v1 left in user_profiles, read for every authenticated request. A plain pooled query
 * rather than Hibernate: it runs while the identity is built, before (and outside) the request's own session.
 */
@ApplicationScoped
public class AccountStatus {

    public enum Status { ACTIVE, DISABLED, ERASED, NOT_KNOWN_YET, UNAVAILABLE }

    private static final Logger LOG = Logger.getLogger(AccountStatus.class);

    private final Pool pool;
    private final Duration timeout;

    public AccountStatus(Pool pool, IdentityConfig config) {
        this.pool = pool;
        this.timeout = config.statusReadTimeout();
    }

    /** Never fails: a slow or unreachable database gives {@link Status#UNAVAILABLE} within the deadline. */
    public Uni<Status> of(UUID user) {
        return pool.preparedQuery("SELECT status FROM user_profiles WHERE user_id = $1").execute(Tuple.of(user))
                .map(rows -> {
                    RowIterator<Row> it = rows.iterator();
                    return it.hasNext() ? parse(it.next().getString("status")) : Status.NOT_KNOWN_YET;
                })
                .ifNoItem().after(timeout).fail()
                .onFailure().recoverWithItem(e -> {
                    LOG.debugf("account status of %s not read within %d ms: %s", user, timeout.toMillis(), e);
                    return Status.UNAVAILABLE;
                });
    }

    private static Status parse(String status) {
        return switch (status) {
            case "active" -> Status.ACTIVE;
            case "erased" -> Status.ERASED;
            default -> Status.DISABLED; // anything but active is refused: fail closed on a status we do not know
        };
    }
}
