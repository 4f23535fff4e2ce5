package dev.meridian.outbox;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.util.List;

@ApplicationScoped
public class OutboxRepository implements PanacheRepositoryBase<OutboxEvent, Long> {

    /**
     * Takes the relay's lock until the current transaction ends, if no other instance holds it: one relay at a time
     * per database, so with several instances no row is published twice and one aggregate's rows stay in order.
     * Released by commit, rollback or a dead connection, so a crashed instance never keeps it.
     */
    public Uni<Boolean> tryRelayLock() {
        return Panache.getSession().flatMap(session -> session.createNativeQuery(
                        "select pg_try_advisory_xact_lock(hashtext('meridian.outbox.relay'))", Boolean.class)
                .getSingleResult());
    }

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

    public Uni<Integer> markPublished(List<Long> seqs, Instant at) {
        return update("publishedAt = ?1 where seq in ?2", at, seqs);
    }
}
