package dev.meridian.outbox;

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

    public Uni<Integer> markPublished(List<Long> seqs, Instant at) {
        return update("publishedAt = ?1 where seq in ?2", at, seqs);
    }
}
