package dev.meridian.inference.security;

import dev.meridian.deadline.CallerContext;
import dev.meridian.denylist.DenyList;
import dev.meridian.inference.service.Caller;
import dev.meridian.inference.user.service.AccountStatus;
import dev.meridian.revocation.TokenRevocation;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.SecurityIdentityAugmentor;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.jwt.JsonWebToken;

import java.util.Map;
import java.util.UUID;

/**
 * Runs where Quarkus builds the identity from a verified token, so every authenticated request (REST and the WebSocket
 * upgrade alike) obeys the same rules as one through the gateway: a token on the deny-list is refused (401), an
 * account users.v1 reported disabled or erased is refused (403). Both reads run at once, each within its deadline.
 * When the deny-list cannot be read the request passes on signature and expiry (as at the gateway) and the identity
 * is marked unchecked, which refuses admin powers ({@link Caller#requireRevocationChecked()}).
 */
@ApplicationScoped
public class TokenChecks implements SecurityIdentityAugmentor {

    /**
     * Attribute of the failure for a valid token of a disabled or erased account, which is answered 403, not 401:
     * who the caller is is known, and a new token would not help.
     */
    public static final String ACCOUNT_STATUS = "meridian.account-status";

    private final DenyList denyList;
    private final AccountStatus accounts;

    public TokenChecks(DenyList denyList, AccountStatus accounts) {
        this.denyList = denyList;
        this.accounts = accounts;
    }

    @Override
    public Uni<SecurityIdentity> augment(SecurityIdentity identity, AuthenticationRequestContext context) {
        if (identity.isAnonymous() || !(identity.getPrincipal() instanceof JsonWebToken token)) {
            return Uni.createFrom().item(identity);
        }
        UUID user;
        try {
            user = UUID.fromString(token.getSubject());
        } catch (RuntimeException e) {
            return Uni.createFrom().failure(new AuthenticationFailedException("the token's subject is not a user id"));
        }
        String apiKey = token.getClaim(TokenRevocation.API_KEY_CLAIM);
        // both reads end on timers of their own; the verdict goes back to the request's context
        return Uni.combine().all()
                .unis(denyList.verdict(user.toString(), apiKey, token.getIssuedAtTime()), accounts.of(user))
                .asTuple()
                .emitOn(CallerContext.current())
                .map(checks -> {
                    if (checks.getItem1() == DenyList.Verdict.REVOKED) {
                        throw new AuthenticationFailedException("the token has been revoked");
                    }
                    switch (checks.getItem2()) {
                        case DISABLED -> throw inactive("disabled");
                        case ERASED -> throw inactive("erased");
                        default -> { } // active, not reported yet, or unreadable: the token decides
                    }
                    return QuarkusSecurityIdentity.builder(identity)
                            .addAttribute(Caller.REVOCATION_CHECKED, checks.getItem1() == DenyList.Verdict.ALLOWED)
                            .build();
                });
    }

    private static AuthenticationFailedException inactive(String status) {
        return new AuthenticationFailedException("this account is " + status, Map.of(ACCOUNT_STATUS, status));
    }
}
