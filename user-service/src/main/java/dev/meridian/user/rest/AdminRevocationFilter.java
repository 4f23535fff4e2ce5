package dev.meridian.user.rest;

import dev.meridian.user.config.UserServiceConfig;
import dev.meridian.user.security.AccessTokenIdentityProvider;
import io.quarkus.security.identity.CurrentIdentityAssociation;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Admin routes ({@code /v1/admin/**}) act on other people's accounts: an admin token that may have been revoked (the
 * deny-list did not answer in time) is not good enough for them, so they answer 503 with Retry-After instead of
 * going on unchecked. Ordinary routes go on with the verified token.
 */
public class AdminRevocationFilter {

    static final String ADMIN_PATHS = "/v1/admin/";

    private final CurrentIdentityAssociation identities;
    private final long retryAfterSeconds;

    public AdminRevocationFilter(CurrentIdentityAssociation identities, UserServiceConfig config) {
        this.identities = identities;
        this.retryAfterSeconds = Math.max(1, config.deadlines().retryAfter().toSeconds());
    }

    @ServerRequestFilter
    public Uni<Response> refuseUnconfirmedAdminTokens(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!path.startsWith(ADMIN_PATHS)) {
            return Uni.createFrom().nullItem();
        }
        return identities.getDeferredIdentity()
                .map(identity -> Boolean.TRUE.equals(identity.getAttribute(AccessTokenIdentityProvider.REVOCATION_UNCONFIRMED))
                        ? unavailable(path) : null)
                // an invalid token is the security check's to answer (401), not ours
                .onFailure().recoverWithNull();
    }

    private Response unavailable(String path) {
        Response problem = Problem.response(503, "unavailable", "Service unavailable",
                "whether your token has been revoked cannot be checked right now; admin operations need that check."
                        + " Retry shortly", path, null);
        return Response.fromResponse(problem).header(HttpHeaders.RETRY_AFTER, retryAfterSeconds).build();
    }
}
