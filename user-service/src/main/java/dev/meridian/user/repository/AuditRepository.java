package dev.meridian.user.repository;

import dev.meridian.user.AuditEntry;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.UUID;

@ApplicationScoped
public class AuditRepository implements PanacheRepositoryBase<AuditEntry, Long> {

    public Uni<List<AuditEntry>> about(UUID userId) {
        return list("targetUserId = ?1 or actorId = ?1 order by id", userId);
    }
}
