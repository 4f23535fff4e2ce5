package dev.meridian.inference.collection.repository;

import dev.meridian.inference.collection.DocumentCollection;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.UUID;

@ApplicationScoped
public class CollectionRepository implements PanacheRepositoryBase<DocumentCollection, UUID> {

    public Uni<DocumentCollection> findByName(UUID userId, String name) {
        return find("userId = ?1 and name = ?2", userId, name).firstResult();
    }

    public Uni<List<DocumentCollection>> listOf(UUID userId) {
        return list("userId = ?1 order by name", userId);
    }

    public Uni<Long> countOf(UUID userId) {
        return count("userId", userId);
    }
}
