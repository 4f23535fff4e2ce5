package dev.meridian.user.service;

import dev.meridian.user.ApiKey;
import dev.meridian.user.AuditEntry;
import dev.meridian.user.RefreshToken;
import dev.meridian.user.User;
import dev.meridian.user.repository.ApiKeyRepository;
import dev.meridian.user.repository.AuditRepository;
import dev.meridian.user.repository.RefreshTokenRepository;
import dev.meridian.user.webhook.WebhookDelivery;
import dev.meridian.user.webhook.WebhookEndpoint;
import dev.meridian.user.webhook.repository.WebhookDeliveryRepository;
import dev.meridian.user.webhook.repository.WebhookEndpointRepository;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** GDPR access: everything user-service holds about one user (never secrets or their hashes). */
@ApplicationScoped
public class ExportService {

    private final AccountService accounts;
    private final RefreshTokenRepository refreshTokens;
    private final ApiKeyRepository apiKeys;
    private final AuditRepository audit;
    private final WebhookEndpointRepository webhooks;
    private final WebhookDeliveryRepository webhookDeliveries;

    /** The newest deliveries of the user's webhooks in an export; the full log is at /v1/webhooks/{id}/deliveries. */
    static final int EXPORTED_DELIVERIES = 1000;

    public record UserData(User user, List<RefreshToken> sessions, List<ApiKey> apiKeys, List<AuditEntry> audit,
                           List<WebhookEndpoint> webhooks, List<WebhookDelivery> webhookDeliveries) {
    }

    public ExportService(AccountService accounts, RefreshTokenRepository refreshTokens, ApiKeyRepository apiKeys,
                         AuditRepository audit, WebhookEndpointRepository webhooks,
                         WebhookDeliveryRepository webhookDeliveries) {
        this.accounts = accounts;
        this.refreshTokens = refreshTokens;
        this.apiKeys = apiKeys;
        this.audit = audit;
        this.webhooks = webhooks;
        this.webhookDeliveries = webhookDeliveries;
    }

    @WithSession
    public Uni<UserData> export(UUID userId) {
        return accounts.get(userId).flatMap(user -> refreshTokens.activeOf(userId, Instant.now())
                .flatMap(sessions -> apiKeys.listOf(userId)
                        .flatMap(keys -> audit.about(userId)
                                .flatMap(entries -> webhooks.listOf(userId)
                                        .flatMap(endpoints -> webhookDeliveries.ofOwner(userId, EXPORTED_DELIVERIES)
                                                .map(logged -> new UserData(user, sessions, keys, entries, endpoints,
                                                        logged)))))));
    }
}
