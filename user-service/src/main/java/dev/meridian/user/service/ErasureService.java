package dev.meridian.user.service;

import dev.meridian.events.user.UserErased;
import dev.meridian.events.user.UserStatus;
import dev.meridian.outbox.OutboxService;
import dev.meridian.user.AuditEntry;
import dev.meridian.user.User;
import dev.meridian.user.repository.ApiKeyRepository;
import dev.meridian.user.repository.AuditRepository;
import dev.meridian.user.repository.RefreshTokenRepository;
import dev.meridian.user.repository.UserRepository;
import dev.meridian.user.webhook.repository.WebhookDeliveryRepository;
import dev.meridian.user.webhook.repository.WebhookEndpointRepository;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.util.UUID;

/**
 * GDPR erasure: personal data is overwritten (the row stays, so ids in audit entries and events keep pointing
 * somewhere), every token and key is revoked, and UserErased tells other services to delete their data. Idempotent:
 * erasing an erased account changes nothing and succeeds.
 */
@ApplicationScoped
public class ErasureService {

    /** What every API key of an erased user is renamed to. */
    public static final String ERASED_KEY_NAME = "erased";

    private final UserRepository users;
    private final RefreshTokenRepository refreshTokens;
    private final ApiKeyRepository apiKeys;
    private final AuditRepository audit;
    private final OutboxService outbox;
    private final RevocationService revocations;
    private final WebhookEndpointRepository webhooks;
    private final WebhookDeliveryRepository webhookDeliveries;

    public ErasureService(UserRepository users, RefreshTokenRepository refreshTokens, ApiKeyRepository apiKeys,
                          AuditRepository audit, OutboxService outbox, RevocationService revocations,
                          WebhookEndpointRepository webhooks, WebhookDeliveryRepository webhookDeliveries) {
        this.users = users;
        this.refreshTokens = refreshTokens;
        this.apiKeys = apiKeys;
        this.audit = audit;
        this.outbox = outbox;
        this.revocations = revocations;
        this.webhooks = webhooks;
        this.webhookDeliveries = webhookDeliveries;
    }

    /**
     * The deny-list entry is written after the commit from the stored revocation time; erasing again (a retry after a
     * 503 from a failed write) writes it again.
     */
    public Uni<Void> erase(UUID userId, UUID actorId) {
        return erase(userId, actorId, false);
    }

    /** @param redisStalled the request's own deny-list read just missed its deadline */
    public Uni<Void> erase(UUID userId, UUID actorId, boolean redisStalled) {
        return eraseInTransaction(userId, actorId)
                .flatMap(revokedAt -> revocations.revokeUser(userId, revokedAt, redisStalled));
    }

    /** Returns when the user's tokens were revoked by the erasure. */
    @WithTransaction
    Uni<Instant> eraseInTransaction(UUID userId, UUID actorId) {
        Instant now = Instant.now();
        return users.findById(userId).flatMap(user -> {
            if (user == null) {
                return Uni.createFrom().failure(ServiceException.notFound("user"));
            }
            if (user.status == UserStatus.ERASED) {
                return Uni.createFrom().item(user.tokensRevokedAt != null ? user.tokensRevokedAt : user.erasedAt);
            }
            anonymise(user, now);
            return refreshTokens.revokeAllOf(userId, now)
                    .flatMap(ignored -> apiKeys.allOf(userId))
                    .invoke(keys -> keys.forEach(key -> {
                        // the names users gave their keys ("Ada's laptop") are personal data too
                        key.name = ERASED_KEY_NAME;
                        if (key.revokedAt == null) {
                            key.revokedAt = now;
                        }
                    }))
                    // the user's webhooks with their logs, and every delivery about the user (admins' included)
                    .flatMap(ignored -> webhookDeliveries.eraseAbout(userId))
                    .flatMap(ignored -> webhooks.deleteOf(userId))
                    .flatMap(ignored -> audit.persist(AuditEntry.of(actorId, "user.erase", userId, null)))
                    .flatMap(ignored -> outbox.append(new UserErased(userId, now)))
                    .replaceWith(user.tokensRevokedAt);
        });
    }

    private static void anonymise(User user, Instant now) {
        user.email = "erased-" + user.id + "@erased.invalid";
        user.displayName = "erased user";
        user.passwordHash = "!erased";
        user.admin = false;
        user.status = UserStatus.ERASED;
        user.erasedAt = now;
        user.updatedAt = now;
        user.revokeTokens(now);
    }
}
