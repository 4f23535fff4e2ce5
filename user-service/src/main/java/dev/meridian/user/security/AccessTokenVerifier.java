package dev.meridian.user.security;

import dev.meridian.user.config.UserServiceConfig;
import dev.meridian.user.service.SigningKeyService;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.jwx.JsonWebStructure;
import org.jose4j.lang.JoseException;
import org.jose4j.lang.UnresolvableKeyException;

/**
 * Verifies access tokens against this service's own signing keys (no HTTP round trip to its own JWKS): RS256 only
 * (so {@code alg: none} and HS256 are refused), issuer, audience, expiry with a small leeway, subject and jti.
 */
@ApplicationScoped
public class AccessTokenVerifier {

    private final SigningKeyService keys;
    private final JwtConsumer consumer;

    public AccessTokenVerifier(SigningKeyService keys, UserServiceConfig config) {
        this.keys = keys;
        this.consumer = new JwtConsumerBuilder()
                .setRequireExpirationTime()
                .setRequireIssuedAt()
                .setRequireSubject()
                .setRequireJwtId()
                .setAllowedClockSkewInSeconds((int) config.jwt().clockSkew().toSeconds())
                .setExpectedIssuer(config.jwt().issuer())
                .setExpectedAudience(config.jwt().audience())
                .setJwsAlgorithmConstraints(AlgorithmConstraints.ConstraintType.PERMIT,
                        AlgorithmIdentifiers.RSA_USING_SHA256)
                .setVerificationKeyResolver((jws, nesting) -> keys.publicKey(jws.getKeyIdHeaderValue())
                        .orElseThrow(() -> new UnresolvableKeyException("unknown kid " + jws.getKeyIdHeaderValue())))
                .build();
    }

    /** Fails with {@link InvalidJwtException} (or a parse error) for anything that is not a valid access token. */
    public Uni<JwtClaims> verify(String token) {
        String kid;
        try {
            kid = JsonWebStructure.fromCompactSerialization(token).getKeyIdHeaderValue();
        } catch (JoseException e) {
            return Uni.createFrom().failure(e);
        }
        // a kid we do not know may come from a key another instance just rotated in: reload once
        Uni<Void> ready = kid != null && keys.publicKey(kid).isEmpty() ? keys.reload() : Uni.createFrom().voidItem();
        return ready.flatMap(ignored -> {
            try {
                return Uni.createFrom().item(consumer.processToClaims(token));
            } catch (InvalidJwtException e) {
                return Uni.createFrom().failure(e);
            }
        });
    }
}
