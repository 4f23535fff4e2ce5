package dev.meridian.outbox;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

@ApplicationScoped
public class OutboxRepository implements PanacheRepositoryBase<OutboxEvent, Long> {

    public Uni<List<OutboxEvent>> pending(int limit) {
        return find("publishedAt is null order by seq").range(0, limit - 1).list();
    }

    /** Deletes up to {@code limit} rows published before {@code before}, oldest first. */
    public Uni<Integer> deletePublishedBefore(Instant before, int limit) {
        return Panache.getSession().flatMap(session -> session.createNativeQuery(
                        "delete from outbox where seq in (select seq from outbox where published_at < ?1"
                                + " order by seq limit ?2)")
                .setParameter(1, before)
                .setParameter(2, limit)
                .executeUpdate());
    }

    /**
     * Takes or renews the relay lease for {@code holder} (see {@code R__outbox_relay_lease.sql}), on the database's
     * clock; true when {@code holder} has it now.
     */
    public Uni<Boolean> claimLease(String holder, Duration duration) {
        return Panache.getSession().flatMap(session -> session.createNativeQuery(
                        "update outbox_relay_lease set holder = ?1, expires_at = now() + make_interval(secs => ?2)"
                                + " where id = 1 and (holder = ?1 or expires_at < now())")
                .setParameter(1, holder)
                .setParameter(2, duration.toMillis() / 1000.0)
                .executeUpdate())
                .map(updated -> updated == 1);
    }

    /** Ends {@code holder}'s lease now, if it has it. */
    public Uni<Integer> releaseLease(String holder) {
        return Panache.getSession().flatMap(session -> session.createNativeQuery(
                        "update outbox_relay_lease set expires_at = 'epoch' where id = 1 and holder = ?1")
                .setParameter(1, holder)
                .executeUpdate());
    }

    public Uni<Integer> markPublished(List<Long> seqs, Instant at) {
        return update("publishedAt = ?1 where seq in ?2", at, seqs);
    }
}
