package dev.meridian.gateway.auth;

import dev.meridian.gateway.auth.EdgeTokenVerifier.Identity;
import dev.meridian.gateway.pipeline.Exchange;
import dev.meridian.gateway.pipeline.RequestIds;
import dev.meridian.gateway.pipeline.Step;
import dev.meridian.gateway.upstream.UpstreamProxy;
import io.smallrye.mutiny.Uni;
import io.vertx.core.MultiMap;
import jakarta.inject.Singleton;

/**
 * Builds the headers the upstream gets: one copy of the client's, with identity in X-User-* headers set only here.
 * Copies a client sent are always removed, so a forged header never grants identity. The bearer token is forwarded
 * too, so services verify again.
 */
@Singleton
public class IdentityHeadersStep implements Step {

    public static final String USER_ID = "X-User-Id";
    public static final String USER_ROLES = "X-User-Roles";
    public static final String USER_TIER = "X-User-Tier";

    @Override
    public Uni<Void> apply(Exchange exchange) {
        MultiMap headers = UpstreamProxy.upstreamHeaders(exchange);
        headers.remove(USER_ID);
        headers.remove(USER_ROLES);
        headers.remove(USER_TIER);
        Identity identity = exchange.identity();
        if (identity != null) {
            headers.set("Authorization", "Bearer " + identity.accessToken());
            headers.set(USER_ID, identity.userId());
            headers.set(USER_ROLES, String.join(",", identity.roles()));
            if (identity.tier() != null) {
                headers.set(USER_TIER, identity.tier());
            }
        }
        headers.set(RequestIds.HEADER, exchange.requestId());
        exchange.upstreamHeaders(headers);
        return NEXT;
    }
}
