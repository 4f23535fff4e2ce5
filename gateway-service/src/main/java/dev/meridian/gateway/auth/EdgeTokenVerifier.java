package dev.meridian.gateway.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.meridian.gateway.config.GatewayConfig;
import dev.meridian.gateway.redis.OutageWarning;
import dev.meridian.gateway.redis.RedisPipeline;
import dev.meridian.revocation.TokenRevocation;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.MalformedClaimException;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.jwx.JsonWebStructure;
import org.jose4j.lang.JoseException;
import org.jose4j.lang.UnresolvableKeyException;

import java.time.Duration;
import java.util.List;

/**
 * Verifies access tokens at the edge: RS256 only, a key from user-service's JWKS, issuer, audience, expiry with
 * leeway, then the Redis deny-list. When Redis is unhealthy (see {@link RedisPipeline}) the caller decides: the
 * token's signature and expiry still hold and the request goes on (fail-open, logged), so a Redis outage never stops
 * traffic, or the token is refused as unverifiable (fail-closed, what admin routes choose).
 */
@Singleton
public class EdgeTokenVerifier {

    /**
     * The verified caller and the access token to forward (the JWT an API key was exchanged for, if so);
     * {@code issuedAt} and {@code apiKeyId} decide whether a revocation covers it, {@code expiresAt} (epoch seconds)
     * when it stops being good.
     */
    public record Identity(String userId, List<String> roles, String tier, String accessToken, long issuedAt,
                           String apiKeyId, long expiresAt) {

        /** The deny-list entries that can revoke this token: the user's, and its API key's if it came from one. */
        public List<String> revocationKeys() {
            return apiKeyId == null ? List.of(TokenRevocation.userKey(userId))
                    : List.of(TokenRevocation.userKey(userId), TokenRevocation.apiKeyKey(userId, apiKeyId));
        }
    }

    /** Why a token was refused; the two UNAVAILABLE ones are the gateway's problem (503), the others the client's. */
    public enum Failure { INVALID, REVOKED, KEYS_UNAVAILABLE, REVOCATIONS_UNAVAILABLE }

    /** Whether the deny-list is read here, and what a Redis that cannot answer means then. */
    public enum RevocationCheck { SKIP, FAIL_OPEN, FAIL_CLOSED }

    public static final class VerificationException extends RuntimeException {
        private final Failure failure;

        VerificationException(Failure failure, String message) {
            super(message, null, false, false);
            this.failure = failure;
        }

        public Failure failure() {
            return failure;
        }
    }

    private final OutageWarning outage = new OutageWarning(Logger.getLogger(EdgeTokenVerifier.class));
    private final JwksKeyCache keys;
    private final RedisPipeline redis;
    private final JwtConsumer consumer;
    /** Signature and claims already checked, by token, until the token expires; the deny-list is still asked. */
    private final Cache<String, Verified> verified = Caffeine.newBuilder().maximumSize(50_000)
            .expireAfter(new Expiry<String, Verified>() {
                @Override
                public long expireAfterCreate(String token, Verified value, long currentTime) {
                    return Math.max(0, value.expiresAtMillis() - System.currentTimeMillis()) * 1_000_000L;
                }

                @Override
                public long expireAfterUpdate(String token, Verified value, long currentTime, long currentDuration) {
                    return currentDuration;
                }

                @Override
                public long expireAfterRead(String token, Verified value, long currentTime, long currentDuration) {
                    return currentDuration;
                }
            }).build();

    private record Verified(Identity identity, long expiresAtMillis) {
    }

    public EdgeTokenVerifier(JwksKeyCache keys, RedisPipeline redis, GatewayConfig config) {
        this.keys = keys;
        this.redis = redis;
        this.consumer = new JwtConsumerBuilder()
                .setRequireExpirationTime()
                .setRequireIssuedAt()
                .setRequireSubject()
                .setAllowedClockSkewInSeconds((int) config.jwt().clockSkew().toSeconds())
                .setExpectedIssuer(config.jwt().issuer())
                .setExpectedAudience(config.jwt().audience())
                .setJwsAlgorithmConstraints(AlgorithmConstraints.ConstraintType.PERMIT,
                        AlgorithmIdentifiers.RSA_USING_SHA256)
                .setVerificationKeyResolver((jws, nesting) -> keys.lookup(jws.getKeyIdHeaderValue())
                        .orElseThrow(() -> new UnresolvableKeyException("unknown kid")))
                .build();
    }

    /**
     * @param revocation SKIP when the caller checks the deny-list itself (the rate limiter does, in the same Redis
     *                   call as the limits)
     */
    public Uni<Identity> verify(String token, RevocationCheck revocation) {
        Verified known = verified.getIfPresent(token);
        if (known != null) {
            return unlessRevoked(known, revocation);
        }
        String kid;
        try {
            kid = JsonWebStructure.fromCompactSerialization(token).getKeyIdHeaderValue();
        } catch (JoseException e) {
            return Uni.createFrom().failure(new VerificationException(Failure.INVALID, "malformed token"));
        }
        Future<?> keyReady = keys.key(kid);
        return Uni.createFrom().completionStage(keyReady.toCompletionStage()).flatMap(ignored -> {
            if (!keys.loaded()) {
                return Uni.createFrom().failure(new VerificationException(Failure.KEYS_UNAVAILABLE,
                        "token keys not available yet"));
            }
            JwtClaims claims;
            try {
                claims = consumer.processToClaims(token);
            } catch (InvalidJwtException e) {
                return Uni.createFrom().failure(new VerificationException(Failure.INVALID, "invalid token"));
            }
            Verified fresh;
            try {
                fresh = toVerified(claims, token);
            } catch (MalformedClaimException e) {
                return Uni.createFrom().failure(new VerificationException(Failure.INVALID, "malformed claims"));
            }
            verified.put(token, fresh);
            return unlessRevoked(fresh, revocation);
        });
    }

    private static Verified toVerified(JwtClaims claims, String token) throws MalformedClaimException {
        List<String> roles = claims.hasClaim("groups") ? claims.getStringListClaimValue("groups") : List.of();
        Identity identity = new Identity(claims.getSubject(), roles,
                claims.getClaimValueAsString(TokenRevocation.TIER_CLAIM), token, claims.getIssuedAt().getValue(),
                claims.getClaimValueAsString(TokenRevocation.API_KEY_CLAIM), claims.getExpirationTime().getValue());
        return new Verified(identity, claims.getExpirationTime().getValueInMillis());
    }

    private Uni<Identity> unlessRevoked(Verified token, RevocationCheck revocation) {
        Identity identity = token.identity();
        if (revocation == RevocationCheck.SKIP) {
            return Uni.createFrom().item(identity);
        }
        Request mget = Request.cmd(Command.MGET);
        identity.revocationKeys().forEach(mget::arg);
        return redis.send(mget).map(found -> {
                    for (Response value : found) {
                        if (value != null && TokenRevocation.revokes(value.toString(), identity.issuedAt())) {
                            return true;
                        }
                    }
                    return false;
                })
                .onFailure().recoverWithUni(e -> {
                    outage.warn("revocation check %s (Redis: %s)",
                            revocation == RevocationCheck.FAIL_CLOSED ? "failed: token refused" : "skipped", e);
                    return revocation == RevocationCheck.FAIL_CLOSED
                            ? Uni.createFrom().failure(new VerificationException(Failure.REVOCATIONS_UNAVAILABLE,
                                    "the deny-list cannot be read"))
                            : Uni.createFrom().item(false);
                })
                .flatMap(revoked -> revoked
                        ? Uni.createFrom().failure(new VerificationException(Failure.REVOKED, "token revoked"))
                        : Uni.createFrom().item(identity));
    }
}
