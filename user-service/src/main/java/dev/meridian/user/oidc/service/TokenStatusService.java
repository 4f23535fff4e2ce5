package dev.meridian.user.oidc.service;

import dev.meridian.denylist.DenyList;
import dev.meridian.revocation.TokenRevocation;
import dev.meridian.user.ApiKey;
import dev.meridian.user.RefreshToken;
import dev.meridian.user.User;
import dev.meridian.user.config.UserServiceConfig;
import dev.meridian.user.oidc.rest.OidcDtos.Introspection;
import dev.meridian.user.repository.ApiKeyRepository;
import dev.meridian.user.repository.RefreshTokenRepository;
import dev.meridian.user.repository.UserRepository;
import dev.meridian.user.security.AccessTokenVerifier;
import dev.meridian.user.service.ApiKeyService;
import dev.meridian.user.service.OAuthException;
import dev.meridian.user.service.Opaque;
import dev.meridian.user.service.ServiceException;
import dev.meridian.user.service.TokenService;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.MalformedClaimException;

import java.time.Instant;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * RFC 7662 introspection and RFC 7009 revocation of the three tokens Meridian hands out: access tokens (JWTs),
 * refresh tokens and API keys ({@code mk_}). Told apart by their shape, so a wrong {@code token_type_hint} costs
 * nothing.
 */
@ApplicationScoped
public class TokenStatusService {

    public enum Kind { ACCESS_TOKEN, REFRESH_TOKEN, API_KEY }

    private final RefreshTokenRepository refreshTokens;
    private final ApiKeyRepository apiKeys;
    private final UserRepository users;
    private final AccessTokenVerifier verifier;
    private final DenyList denyList;
    private final TokenService tokens;
    private final ApiKeyService keys;
    private final String issuer;

    public TokenStatusService(RefreshTokenRepository refreshTokens, ApiKeyRepository apiKeys, UserRepository users,
                              AccessTokenVerifier verifier, DenyList denyList, TokenService tokens, ApiKeyService keys,
                              UserServiceConfig config) {
        this.refreshTokens = refreshTokens;
        this.apiKeys = apiKeys;
        this.users = users;
        this.verifier = verifier;
        this.denyList = denyList;
        this.tokens = tokens;
        this.keys = keys;
        this.issuer = config.jwt().issuer();
    }

    public static Kind kindOf(String token) {
        if (token == null || token.isBlank()) {
            throw OAuthException.invalidRequest("token is required");
        }
        if (token.startsWith(ApiKeyService.KEY_PREFIX)) {
            return Kind.API_KEY;
        }
        return token.chars().filter(c -> c == '.').count() == 2 ? Kind.ACCESS_TOKEN : Kind.REFRESH_TOKEN;
    }

    /**
     * Whether a token is active, and whose: answered in full to its owner and to admins; anyone else learns only
     * {@code active: false}, as for a token that does not exist.
     */
    public Uni<Introspection> introspect(String token, UUID caller, boolean admin) {
        Instant now = Instant.now();
        Uni<Introspection> found = switch (kindOf(token)) {
            case API_KEY -> keyStatus(token, now);
            case REFRESH_TOKEN -> refreshStatus(token, now);
            case ACCESS_TOKEN -> accessStatus(token);
        };
        return found.map(status -> status.active() && (admin || status.sub().equals(caller.toString()))
                ? status : Introspection.INACTIVE);
    }

    @WithSession
    Uni<Introspection> keyStatus(String presented, Instant now) {
        return apiKeys.findByHash(Opaque.sha256(presented)).flatMap((ApiKey key) -> key == null || !key.usableAt(now)
                ? Uni.createFrom().item(Introspection.INACTIVE)
                : ifActiveUser(key.userId, () -> new Introspection(true, "api_key", key.userId.toString(), issuer,
                        key.createdAt.getEpochSecond(), key.expiresAt == null ? null : key.expiresAt.getEpochSecond(),
                        key.id.toString())));
    }

    @WithSession
    Uni<Introspection> refreshStatus(String presented, Instant now) {
        return refreshTokens.findByHash(Opaque.sha256(presented)).flatMap((RefreshToken token) -> token == null
                || token.revokedAt != null || token.usedAt != null || !token.expiresAt.isAfter(now)
                ? Uni.createFrom().item(Introspection.INACTIVE)
                : ifActiveUser(token.userId, () -> new Introspection(true, "refresh_token", token.userId.toString(),
                        issuer, token.createdAt.getEpochSecond(), token.expiresAt.getEpochSecond(), null)));
    }

    private Uni<Introspection> ifActiveUser(UUID userId, Supplier<Introspection> active) {
        return users.findById(userId).map((User user) -> user != null && user.isActive() ? active.get()
                : Introspection.INACTIVE);
    }

    /** Signature, expiry and the deny-list, as every service checks them; an unreadable deny-list answers 503. */
    private Uni<Introspection> accessStatus(String token) {
        return verifier.verify(token).onFailure().recoverWithNull().flatMap((JwtClaims claims) -> {
            if (claims == null) {
                return Uni.createFrom().item(Introspection.INACTIVE);
            }
            try {
                String subject = claims.getSubject();
                long issuedAt = claims.getIssuedAt().getValue();
                Introspection active = new Introspection(true, "access_token", subject, claims.getIssuer(), issuedAt,
                        claims.getExpirationTime().getValue(),
                        claims.getClaimValueAsString(TokenRevocation.API_KEY_CLAIM));
                return denyList.verdict(subject, active.keyId(), issuedAt).map(verdict -> switch (verdict) {
                    case ALLOWED -> active;
                    case REVOKED -> Introspection.INACTIVE;
                    case UNKNOWN -> throw ServiceException.unavailable(
                            "the revocation list cannot be read right now; retry shortly", 1);
                });
            } catch (MalformedClaimException e) {
                return Uni.createFrom().item(Introspection.INACTIVE);
            }
        });
    }

    /**
     * RFC 7009: a refresh token ends its whole login, an API key is revoked (tokens minted from it die via the
     * deny-list). Unknown or already dead tokens succeed too, so the answer reveals nothing. Access tokens cannot be
     * revoked one by one: {@code unsupported_token_type} (log out, or revoke the key they came from).
     */
    public Uni<Void> revoke(String token) {
        return switch (kindOf(token)) {
            case REFRESH_TOKEN -> tokens.logout(token);
            case API_KEY -> ownerOf(token).flatMap(key -> key == null ? Uni.createFrom().voidItem()
                    : keys.revoke(key.userId, key.id, false));
            case ACCESS_TOKEN -> Uni.createFrom().failure(new OAuthException(400, "unsupported_token_type",
                    "access tokens expire within minutes and cannot be revoked one by one; revoke the refresh token"
                            + " or API key they came from"));
        };
    }

    @WithSession
    Uni<ApiKey> ownerOf(String presented) {
        return apiKeys.findByHash(Opaque.sha256(presented));
    }
}
