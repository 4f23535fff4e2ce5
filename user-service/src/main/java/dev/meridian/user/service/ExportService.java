package dev.meridian.user.service;

import dev.meridian.user.ApiKey;
import dev.meridian.user.AuditEntry;
import dev.meridian.user.RefreshToken;
import dev.meridian.user.User;
import dev.meridian.user.repository.ApiKeyRepository;
import dev.meridian.user.repository.AuditRepository;
import dev.meridian.user.repository.RefreshTokenRepository;
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

    public record UserData(User user, List<RefreshToken> sessions, List<ApiKey> apiKeys, List<AuditEntry> audit) {
    }

    public ExportService(AccountService accounts, RefreshTokenRepository refreshTokens, ApiKeyRepository apiKeys,
                         AuditRepository audit) {
        this.accounts = accounts;
        this.refreshTokens = refreshTokens;
        this.apiKeys = apiKeys;
        this.audit = audit;
    }

    @WithSession
    public Uni<UserData> export(UUID userId) {
        return accounts.get(userId).flatMap(user -> refreshTokens.activeOf(userId, Instant.now())
                .flatMap(sessions -> apiKeys.listOf(userId)
                        .flatMap(keys -> audit.about(userId)
                                .map(entries -> new UserData(user, sessions, keys, entries)))));
    }
}
