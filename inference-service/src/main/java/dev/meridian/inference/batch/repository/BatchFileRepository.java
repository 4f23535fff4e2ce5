package dev.meridian.inference.batch.repository;

import dev.meridian.inference.batch.BatchFile;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.quarkus.panache.common.Parameters;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

@ApplicationScoped
public class BatchFileRepository implements PanacheRepositoryBase<BatchFile, String> {

    /** A user's files (of one purpose, or all), newest first, after the keyset of the previous page's last file. */
    public Uni<List<BatchFile>> page(UUID userId, String purpose, Instant afterCreatedAt, String afterId, int limit) {
        String query = "userId = :user" + (purpose != null ? " and purpose = :purpose" : "")
                + (afterCreatedAt != null ? " and (createdAt < :at or (createdAt = :at and id < :id))" : "")
                + " order by createdAt desc, id desc";
        Parameters parameters = Parameters.with("user", userId);
        if (purpose != null) {
            parameters = parameters.and("purpose", purpose);
        }
        if (afterCreatedAt != null) {
            parameters = parameters.and("at", afterCreatedAt).and("id", afterId);
        }
        return find(query, parameters).range(0, limit - 1).list();
    }

    /** Uploaded files a user keeps (outputs are bounded by their batches). */
    public Uni<Long> countUploads(UUID userId) {
        return count("userId = ?1 and purpose = ?2", userId, BatchFile.INPUT);
    }

    public Uni<Long> deleteAllOf(UUID userId) {
        return delete("userId", userId);
    }
}
