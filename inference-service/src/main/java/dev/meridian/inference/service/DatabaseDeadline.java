package dev.meridian.inference.service;

import dev.meridian.deadline.DatabaseOutage;
import dev.meridian.deadline.Deadline;
import dev.meridian.inference.config.InferenceConfig;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * Every session and transaction of this service, bounded: when PostgreSQL is slow, frozen or unreachable, the caller
 * gets 503 with Retry-After (and a job step fails and is retried) instead of a hang or a 500. Conflicts and
 * constraint violations pass through unchanged.
 */
@ApplicationScoped
public class DatabaseDeadline {

    private final Duration deadline;

    public DatabaseDeadline(InferenceConfig config) {
        this.deadline = config.database().deadline();
    }

    public <T> Uni<T> session(Supplier<Uni<T>> work) {
        return bounded(Panache.withSession(work));
    }

    public <T> Uni<T> transaction(Supplier<Uni<T>> work) {
        return bounded(Panache.withTransaction(work));
    }

    /** Any database work (the plain reactive client's too) under the same deadline and outage translation. */
    public <T> Uni<T> bounded(Uni<T> work) {
        return Deadline.within(work, deadline, "the database")
                .onFailure(DatabaseOutage::test).transform(failure -> InferenceException.unavailable(
                        "database_unavailable", "the database is not available right now; retry shortly"));
    }
}
