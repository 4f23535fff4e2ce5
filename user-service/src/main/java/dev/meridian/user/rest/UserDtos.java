package dev.meridian.user.rest;

import dev.meridian.user.webhook.rest.WebhookDtos.DeliveryView;
import dev.meridian.user.webhook.rest.WebhookDtos.WebhookView;
import dev.meridian.events.user.UserStatus;
import dev.meridian.user.AuditEntry;
import dev.meridian.user.RefreshToken;
import dev.meridian.user.User;
import dev.meridian.user.rest.ApiKeyDtos.ApiKeyView;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Bodies of /v1/users: sign-up, one's own account, the export. Unknown request fields are rejected (400 naming the
 * field).
 */
public final class UserDtos {

    private UserDtos() {
    }

    public record SignUpRequest(String email, String password, String displayName) {
    }

    public record ProfilePatch(String displayName) {
    }

    public record PasswordChange(String currentPassword, String newPassword) {
    }

    public record PasswordConfirmation(String password) {
    }

    public record UserView(UUID id, String email, String displayName, List<String> roles, String tier,
                           UserStatus status, long version, Instant createdAt, Instant updatedAt) {
        static UserView of(User user) {
            return new UserView(user.id, user.email, user.displayName, user.roles(), user.tier.wireName(), user.status,
                    user.version, user.createdAt, user.updatedAt);
        }
    }

    public record SessionView(UUID id, Instant createdAt, Instant expiresAt) {
        static SessionView of(RefreshToken token) {
            return new SessionView(token.familyId, token.createdAt, token.expiresAt);
        }
    }

    public record AuditView(String action, UUID actorId, UUID targetUserId, String details, Instant at) {
        static AuditView of(AuditEntry entry) {
            return new AuditView(entry.action, entry.actorId, entry.targetUserId, entry.details, entry.createdAt);
        }
    }

    public record Export(Instant exportedAt, UserView profile, List<SessionView> sessions, List<ApiKeyView> apiKeys,
                         List<AuditView> audit, List<WebhookView> webhooks, List<DeliveryView> webhookDeliveries) {
    }
}
