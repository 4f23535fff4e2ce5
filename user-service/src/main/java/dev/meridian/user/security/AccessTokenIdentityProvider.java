package dev.meridian.user.security;

import dev.meridian.revocation.TokenRevocation;
import dev.meridian.user.service.RevocationService;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.TokenAuthenticationRequest;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.MalformedClaimException;

/** Turns a verified, non-revoked access token into the caller's identity: user id, roles (groups), tier. */
@ApplicationScoped
public class AccessTokenIdentityProvider implements IdentityProvider<TokenAuthenticationRequest> {

    public static final String TIER = "tier";

    private final AccessTokenVerifier verifier;
    private final RevocationService revocations;

    public AccessTokenIdentityProvider(AccessTokenVerifier verifier, RevocationService revocations) {
        this.verifier = verifier;
        this.revocations = revocations;
    }

    @Override
    public Class<TokenAuthenticationRequest> getRequestType() {
        return TokenAuthenticationRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(TokenAuthenticationRequest request, AuthenticationRequestContext context) {
        return verifier.verify(request.getToken().getToken())
                .flatMap(this::unlessRevoked)
                .onFailure(failure -> !(failure instanceof AuthenticationFailedException))
                .transform(failure -> new AuthenticationFailedException("invalid access token"));
    }

    private Uni<SecurityIdentity> unlessRevoked(JwtClaims claims) {
        try {
            String subject = claims.getSubject();
            String apiKey = claims.getClaimValueAsString(TokenRevocation.API_KEY_CLAIM);
            long issuedAt = claims.getIssuedAt().getValue();
            QuarkusSecurityIdentity identity = QuarkusSecurityIdentity.builder()
                    .setPrincipal(new QuarkusPrincipal(subject))
                    .addRoles(new java.util.HashSet<>(claims.getStringListClaimValue("groups")))
                    .addAttribute(TIER, claims.getClaimValueAsString(TokenRevocation.TIER_CLAIM))
                    .build();
            return revocations.isRevoked(subject, apiKey, issuedAt).map(revoked -> {
                if (revoked) {
                    throw new AuthenticationFailedException("access token revoked");
                }
                return identity;
            });
        } catch (MalformedClaimException e) {
            return Uni.createFrom().failure(new AuthenticationFailedException("malformed claims"));
        }
    }
}
