package dev.meridian.inference.batch.repository;

import dev.meridian.inference.batch.Batch;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.quarkus.panache.common.Parameters;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

@ApplicationScoped
public class BatchRepository implements PanacheRepositoryBase<Batch, String> {

    /** A user's batches, newest first, after the keyset of the previous page's last batch. */
    public Uni<List<Batch>> page(UUID userId, Instant afterCreatedAt, String afterId, int limit) {
        if (afterCreatedAt == null) {
            return find("userId = ?1 order by createdAt desc, id desc", userId).range(0, limit - 1).list();
        }
        return find("userId = :user and (createdAt < :at or (createdAt = :at and id < :id)) order by createdAt desc, id desc",
                Parameters.with("user", userId).and("at", afterCreatedAt).and("id", afterId))
                .range(0, limit - 1).list();
    }

    public Uni<Long> deleteAllOf(UUID userId) {
        return delete("userId", userId);
    }
}
