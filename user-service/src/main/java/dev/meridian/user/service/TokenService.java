package dev.meridian.user.service;

import dev.meridian.revocation.TokenRevocation;
import dev.meridian.user.ApiKey;
import dev.meridian.user.RefreshToken;
import dev.meridian.user.User;
import dev.meridian.user.config.UserServiceConfig;
import dev.meridian.user.repository.ApiKeyRepository;
import dev.meridian.user.repository.RefreshTokenRepository;
import dev.meridian.user.repository.UserRepository;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.build.JwtClaimsBuilder;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.UUID;

/**
 * Access tokens (RS256 JWTs, 15 min) and rotating refresh tokens (opaque, 256 bit, 30 days, stored as SHA-256).
 * Presenting a refresh token that was already used revokes its whole family: a stolen and replayed token then stops
 * working for the thief and the victim alike, and the victim logs in again.
 */
@ApplicationScoped
public class TokenService {

    static final String BAD_CREDENTIALS = "invalid email or password";

    private final UserRepository users;
    private final RefreshTokenRepository refreshTokens;
    private final ApiKeyRepository apiKeys;
    private final PasswordHasher hasher;
    private final SigningKeyService signingKeys;
    private final LoginThrottle throttle;
    private final UserServiceConfig.Jwt config;

    public record TokenPair(String accessToken, long expiresIn, String refreshToken) {
    }

    public TokenService(UserRepository users, RefreshTokenRepository refreshTokens, ApiKeyRepository apiKeys,
                        PasswordHasher hasher, SigningKeyService signingKeys, LoginThrottle throttle,
                        UserServiceConfig config) {
        this.users = users;
        this.refreshTokens = refreshTokens;
        this.apiKeys = apiKeys;
        this.hasher = hasher;
        this.signingKeys = signingKeys;
        this.throttle = throttle;
        this.config = config.jwt();
    }

    /**
     * Unknown email, wrong password, a disabled account and an address backing off all answer the same, after the
     * same amount of hashing work. Failures count per (account, {@code client} address), see {@link LoginThrottle}.
     */
    public Uni<TokenPair> passwordGrant(String email, String password, String client) {
        if (email == null || email.isBlank() || password == null || password.isEmpty()) {
            return Uni.createFrom().failure(OAuthException.invalidRequest("username/email and password are required"));
        }
        return findByEmail(User.normaliseEmail(email)).flatMap(user -> {
            if (user == null || !user.isActive()) {
                return hasher.verifyDummy(password).flatMap(ignored -> badCredentials());
            }
            return throttle.isBackingOff(user.id, client, Instant.now()).flatMap(backingOff -> backingOff
                    ? hasher.verifyDummy(password).flatMap(ignored -> badCredentials())
                    : hasher.verify(password, user.passwordHash).flatMap(ok -> ok
                            ? throttle.reset(user.id, client).flatMap(ignored -> loginSucceeded(user.id))
                            : throttle.recordFailure(user.id, client).flatMap(ignored -> badCredentials())));
        });
    }

    @WithSession
    Uni<User> findByEmail(String email) {
        return users.findByEmail(email);
    }

    @WithTransaction
    Uni<TokenPair> loginSucceeded(UUID userId) {
        return users.findById(userId).flatMap(user -> newRefreshToken(user.id, UUID.randomUUID())
                .map(refresh -> new TokenPair(accessToken(user, null), config.accessTokenTtl().toSeconds(), refresh)));
    }

    private static <T> Uni<T> badCredentials() {
        return Uni.createFrom().failure(OAuthException.invalidGrant(BAD_CREDENTIALS));
    }

    public Uni<TokenPair> refreshGrant(String presented) {
        if (presented == null || presented.isBlank()) {
            return Uni.createFrom().failure(OAuthException.invalidRequest("refresh_token is required"));
        }
        return rotate(Opaque.sha256(presented)).flatMap(result -> result.pair() != null
                ? Uni.createFrom().item(result.pair())
                : Uni.createFrom().failure(OAuthException.invalidGrant(result.error())));
    }

    private record Rotation(TokenPair pair, String error) {
    }

    /** Commits even when refusing, so a detected reuse really revokes the family. */
    @WithTransaction
    Uni<Rotation> rotate(byte[] hash) {
        Instant now = Instant.now();
        return refreshTokens.findByHash(hash).flatMap(token -> {
            if (token == null || token.revokedAt != null || !token.expiresAt.isAfter(now)) {
                return Uni.createFrom().item(new Rotation(null, "refresh token is invalid, expired or revoked"));
            }
            // atomic claim: of two concurrent uses of one token, exactly one rotates
            return refreshTokens.update("usedAt = ?1 where id = ?2 and usedAt is null", now, token.id)
                    .flatMap(claimed -> claimed == 0
                            ? refreshTokens.revokeFamily(token.familyId, now).map(ignored ->
                                    new Rotation(null, "refresh token was already used; all sessions of this login are revoked"))
                            : users.findById(token.userId).flatMap(user -> user == null || !user.isActive()
                                    ? refreshTokens.revokeFamily(token.familyId, now)
                                            .map(ignored -> new Rotation(null, "account is not active"))
                                    : newRefreshToken(user.id, token.familyId).map(refresh -> new Rotation(
                                            new TokenPair(accessToken(user, null), config.accessTokenTtl().toSeconds(),
                                                    refresh), null))));
        });
    }

    @WithTransaction
    public Uni<Void> logout(String presented) {
        if (presented == null || presented.isBlank()) {
            return Uni.createFrom().failure(OAuthException.invalidRequest("refresh_token is required"));
        }
        return refreshTokens.findByHash(Opaque.sha256(presented)).flatMap(token -> token == null
                ? Uni.createFrom().voidItem() // logging out twice is not an error
                : refreshTokens.revokeFamily(token.familyId, Instant.now()).replaceWithVoid());
    }

    /** Exchanges an API key for a short-lived access JWT; services only ever see JWTs. No refresh token. */
    @WithTransaction
    public Uni<TokenPair> apiKeyGrant(String presented) {
        if (presented == null || !presented.startsWith(ApiKeyService.KEY_PREFIX)) {
            return Uni.createFrom().failure(OAuthException.invalidRequest("api_key must be an mk_ key"));
        }
        Instant now = Instant.now();
        return apiKeys.findByHash(Opaque.sha256(presented)).flatMap((ApiKey key) -> {
            if (key == null || !key.usableAt(now)) {
                return Uni.createFrom().failure(OAuthException.invalidGrant("API key is invalid, expired or revoked"));
            }
            return users.findById(key.userId).flatMap(user -> {
                if (user == null || !user.isActive()) {
                    return Uni.createFrom().failure(OAuthException.invalidGrant("API key is invalid, expired or revoked"));
                }
                key.lastUsedAt = now;
                return Uni.createFrom().item(
                        new TokenPair(accessToken(user, key.id), config.accessTokenTtl().toSeconds(), null));
            });
        });
    }

    private Uni<String> newRefreshToken(UUID userId, UUID familyId) {
        String value = Opaque.random("");
        RefreshToken token = new RefreshToken();
        token.id = UUID.randomUUID();
        token.userId = userId;
        token.familyId = familyId;
        token.tokenHash = Opaque.sha256(value);
        token.createdAt = Instant.now();
        token.expiresAt = token.createdAt.plus(config.refreshTokenTtl());
        return refreshTokens.persist(token).map(ignored -> value);
    }

    String accessToken(User user, UUID apiKeyId) {
        Instant now = issuedAt(user, Instant.now());
        Duration ttl = config.accessTokenTtl();
        JwtClaimsBuilder claims = Jwt.issuer(config.issuer())
                .subject(user.id.toString())
                .audience(config.audience())
                .issuedAt(now)
                .expiresAt(now.plus(ttl))
                .claim("jti", UUID.randomUUID().toString())
                .groups(new HashSet<>(user.roles()))
                .claim(TokenRevocation.TIER_CLAIM, user.tier.wireName());
        if (apiKeyId != null) {
            claims.claim(TokenRevocation.API_KEY_CLAIM, apiKeyId.toString());
        }
        return signingKeys.sign(claims);
    }

    /**
     * A deny-list entry revokes tokens issued at or before its second ({@code iat <= value}), so a token issued in the
     * same second as a revocation (a refresh right after a role change) would be refused. Such a token is issued with
     * the next second instead: at most one second ahead of the clock, well inside the verifiers' allowed skew, and
     * after the revocation, so it carries the new claims and works. The revocation instant comes from the database
     * row read for this very token, so every instance agrees.
     */
    static Instant issuedAt(User user, Instant now) {
        if (user.tokensRevokedAt != null && now.getEpochSecond() <= user.tokensRevokedAt.getEpochSecond()) {
            return Instant.ofEpochSecond(user.tokensRevokedAt.getEpochSecond() + 1);
        }
        return now;
    }
}
