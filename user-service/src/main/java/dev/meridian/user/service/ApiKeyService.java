package dev.meridian.user.service;

import dev.meridian.user.ApiKey;
import dev.meridian.user.AuditEntry;
import dev.meridian.user.repository.ApiKeyRepository;
import dev.meridian.user.repository.AuditRepository;
import dev.meridian.user.webhook.WebhookEventType;
import dev.meridian.user.webhook.service.WebhookEventService;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** API keys: shown once at creation, stored as SHA-256 with a short visible prefix, revocable. */
@ApplicationScoped
public class ApiKeyService {

    public static final String KEY_PREFIX = "mk_";
    private static final int VISIBLE_PREFIX = 10;

    private final ApiKeyRepository apiKeys;
    private final AuditRepository audit;
    private final RevocationService revocations;
    private final WebhookEventService webhooks;

    public record CreatedKey(ApiKey key, String secret) {
    }

    public ApiKeyService(ApiKeyRepository apiKeys, AuditRepository audit, RevocationService revocations,
                         WebhookEventService webhooks) {
        this.apiKeys = apiKeys;
        this.audit = audit;
        this.revocations = revocations;
        this.webhooks = webhooks;
    }

    @WithTransaction
    public Uni<CreatedKey> create(UUID userId, String name, Instant expiresAt) {
        String label = name == null ? "" : name.strip();
        if (label.isEmpty() || label.length() > 100) {
            return Uni.createFrom().failure(new ServiceException(ServiceException.Kind.INVALID,
                    "name must have 1 to 100 characters", "name"));
        }
        Instant now = Instant.now();
        if (expiresAt != null && !expiresAt.isAfter(now)) {
            return Uni.createFrom().failure(new ServiceException(ServiceException.Kind.INVALID,
                    "expiresAt must be in the future", "expiresAt"));
        }
        String secret = Opaque.random(KEY_PREFIX);
        ApiKey key = new ApiKey();
        key.id = UUID.randomUUID();
        key.userId = userId;
        key.name = label;
        key.prefix = secret.substring(0, VISIBLE_PREFIX);
        key.keyHash = Opaque.sha256(secret);
        key.createdAt = now;
        key.expiresAt = expiresAt;
        return apiKeys.persist(key)
                .call(() -> audit.persist(AuditEntry.of(userId, "apikey.create", userId, key.prefix)))
                .call(() -> webhooks.publish(WebhookEventType.API_KEY_CREATED, userId, key.id.toString(), keyEvent(key)))
                .map(saved -> new CreatedKey(saved, secret));
    }

    @WithSession
    public Uni<List<ApiKey>> list(UUID userId) {
        return apiKeys.listOf(userId);
    }

    /**
     * Revoked keys stop working at once for exchange, and tokens minted from them die via the deny-list. Idempotent:
     * revoking a revoked key writes its deny-list entry again (from the stored revocation time) and succeeds, so a
     * client that got 503 because the deny-list write failed can simply retry.
     */
    public Uni<Void> revoke(UUID userId, UUID keyId, boolean redisStalled) {
        return markRevoked(userId, keyId).flatMap(revokedAt -> revocations.revokeApiKey(userId, keyId, revokedAt, redisStalled));
    }

    /** When the key was revoked (now, or earlier by a previous request). */
    @WithTransaction
    Uni<Instant> markRevoked(UUID userId, UUID keyId) {
        return apiKeys.findOwned(keyId, userId).flatMap(key -> {
            if (key == null) {
                return Uni.createFrom().failure(ServiceException.notFound("API key"));
            }
            if (key.revokedAt != null) {
                return Uni.createFrom().item(key.revokedAt);
            }
            key.revokedAt = Instant.now();
            return audit.persist(AuditEntry.of(userId, "apikey.revoke", userId, key.prefix))
                    .call(() -> webhooks.publish(WebhookEventType.API_KEY_REVOKED, userId, key.id.toString(),
                            keyEvent(key)))
                    .replaceWith(key.revokedAt);
        });
    }

    /** What webhook subscribers learn about a key: never its secret or hash. */
    private static Map<String, Object> keyEvent(ApiKey key) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("keyId", key.id);
        data.put("userId", key.userId);
        data.put("name", key.name);
        data.put("prefix", key.prefix);
        data.put("createdAt", key.createdAt);
        data.put("expiresAt", key.expiresAt);
        data.put("revokedAt", key.revokedAt);
        return data;
    }
}
