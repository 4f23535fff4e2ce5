package dev.meridian.user.webhook.repository;

import dev.meridian.user.webhook.WebhookEndpoint;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;

import java.util.List;
import java.util.UUID;

@ApplicationScoped
public class WebhookEndpointRepository implements PanacheRepositoryBase<WebhookEndpoint, UUID> {

    public Uni<List<WebhookEndpoint>> listOf(UUID userId) {
        return list("userId = ?1 order by createdAt, id", userId);
    }

    public Uni<WebhookEndpoint> findOwned(UUID id, UUID userId) {
        return find("id = ?1 and userId = ?2", id, userId).firstResult();
    }

    public Uni<Long> countOf(UUID userId) {
        return count("userId", userId);
    }

    /** Enabled endpoints an event about this user may go to: the user's own and every platform-scope one. */
    public Uni<List<WebhookEndpoint>> candidatesFor(UUID subjectUserId) {
        return list("enabled = true and (userId = ?1 or scope = ?2)", subjectUserId, WebhookEndpoint.SCOPE_PLATFORM);
    }

    /**
     * Locks the endpoints (in id order, so two transactions never wait on each other crosswise) until the transaction
     * ends: events queued for one endpoint then commit in the order of their delivery ids, which is the order the
     * dispatcher sends them in.
     */
    public Uni<List<WebhookEndpoint>> lock(List<UUID> ids) {
        return find("id in ?1 order by id", ids).withLock(LockModeType.PESSIMISTIC_WRITE).list();
    }

    public Uni<Long> deleteOf(UUID userId) {
        return delete("userId", userId);
    }
}
