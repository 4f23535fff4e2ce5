package dev.meridian.user.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.meridian.events.user.UserStatus;
import dev.meridian.user.ApiKey;
import dev.meridian.user.AuditEntry;
import dev.meridian.user.RefreshToken;
import dev.meridian.user.User;
import dev.meridian.user.service.ServiceException;
import dev.meridian.user.service.TokenService;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** Request and response bodies of the public API. Unknown request fields are rejected (400 naming the field). */
public final class Dtos {

    private Dtos() {
    }

    /** An absent body (empty request) is a 422, not a NullPointerException further down. */
    static <T> T required(T body) {
        if (body == null) {
            throw new ServiceException(ServiceException.Kind.INVALID, "a JSON body is required");
        }
        return body;
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

    public record UserPage(List<UserView> items, UUID nextCursor) {
    }

    public record AdminUserPatch(List<String> roles, String tier, UserStatus status) {
    }

    public record ApiKeyRequest(String name, Instant expiresAt) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ApiKeyView(UUID id, String name, String prefix, Instant createdAt, Instant expiresAt,
                             Instant lastUsedAt, String key) {
        static ApiKeyView of(ApiKey key, String secret) {
            return new ApiKeyView(key.id, key.name, key.prefix, key.createdAt, key.expiresAt, key.lastUsedAt, secret);
        }
    }

    /** JSON form of a token request: either {email, password} or the OAuth2 parameters. */
    public record TokenRequest(String email, String password, @JsonProperty("grant_type") String grantType,
                               String username, @JsonProperty("refresh_token") String refreshToken,
                               @JsonProperty("api_key") String apiKey) {
    }

    public record RefreshRequest(@JsonProperty("refresh_token") String refreshToken) {
    }

    /** RFC 6749 section 5.1. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TokenResponse(@JsonProperty("access_token") String accessToken,
                                @JsonProperty("token_type") String tokenType,
                                @JsonProperty("expires_in") long expiresIn,
                                @JsonProperty("refresh_token") String refreshToken) {
        static TokenResponse of(TokenService.TokenPair pair) {
            return new TokenResponse(pair.accessToken(), "Bearer", pair.expiresIn(), pair.refreshToken());
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
                         List<AuditView> audit) {
    }
}
