package dev.meridian.user.repository;

import dev.meridian.user.ApiKey;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

@ApplicationScoped
public class ApiKeyRepository implements PanacheRepositoryBase<ApiKey, UUID> {

    public Uni<ApiKey> findByHash(byte[] hash) {
        return find("keyHash", hash).firstResult();
    }

    public Uni<List<ApiKey>> listOf(UUID userId) {
        return list("userId = ?1 and revokedAt is null order by createdAt", userId);
    }

    public Uni<ApiKey> findOwned(UUID id, UUID userId) {
        return find("id = ?1 and userId = ?2", id, userId).firstResult();
    }

    public Uni<List<ApiKey>> revokeAllOf(UUID userId, Instant now) {
        return listOf(userId).invoke(keys -> keys.forEach(key -> key.revokedAt = now));
    }

    /** Every key of the user, revoked ones included. */
    public Uni<List<ApiKey>> allOf(UUID userId) {
        return list("userId", userId);
    }
}
