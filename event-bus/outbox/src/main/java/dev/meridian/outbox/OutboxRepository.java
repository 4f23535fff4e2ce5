package dev.meridian.outbox;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

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

    public Uni<Integer> markPublished(List<Long> seqs, Instant at) {
        return update("publishedAt = ?1 where seq in ?2", at, seqs);
    }
}
