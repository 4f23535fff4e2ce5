package dev.meridian.user.security;

import dev.meridian.revocation.TokenRevocation;
import dev.meridian.denylist.DenyList;
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

/**
 * Turns a verified, non-revoked access token into the caller's identity: user id, roles (groups), tier. The deny-list
 * is read with a deadline: when it cannot be read the identity carries {@link #REVOCATION_UNCONFIRMED}, ordinary
 * routes go on with the verified token (as the gateway does) and admin routes refuse ({@code AdminRevocationFilter}).
 */
@ApplicationScoped
public class AccessTokenIdentityProvider implements IdentityProvider<TokenAuthenticationRequest> {

    public static final String TIER = "tier";
    /** Identity attribute (Boolean.TRUE) set when the deny-list could not be read in time. */
    public static final String REVOCATION_UNCONFIRMED = "meridian.revocation-unconfirmed";

    private final AccessTokenVerifier verifier;
    private final DenyList denyList;

    public AccessTokenIdentityProvider(AccessTokenVerifier verifier, DenyList denyList) {
        this.verifier = verifier;
        this.denyList = denyList;
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
            QuarkusSecurityIdentity.Builder identity = QuarkusSecurityIdentity.builder()
                    .setPrincipal(new QuarkusPrincipal(subject))
                    .addRoles(new java.util.HashSet<>(claims.getStringListClaimValue("groups")))
                    .addAttribute(TIER, claims.getClaimValueAsString(TokenRevocation.TIER_CLAIM));
            return denyList.verdict(subject, apiKey, issuedAt).map(verdict -> switch (verdict) {
                case REVOKED -> throw new AuthenticationFailedException("access token revoked");
                case UNKNOWN -> identity.addAttribute(REVOCATION_UNCONFIRMED, Boolean.TRUE).build();
                case ALLOWED -> identity.build();
            });
        } catch (MalformedClaimException e) {
            return Uni.createFrom().failure(new AuthenticationFailedException("malformed claims"));
        }
    }
}
