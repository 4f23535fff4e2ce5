package dev.meridian.gateway.filter;

import dev.meridian.gateway.service.EdgeTokenVerifier.Identity;
import io.vertx.core.MultiMap;
import jakarta.inject.Singleton;

/**
 * Identity travels downstream in X-User-* headers set only here: copies a client sent are always removed, so a forged
 * header never grants identity. The bearer token is forwarded too, so services verify again.
 */
@Singleton
public class IdentityHeadersFilter {

    public static final String USER_ID = "X-User-Id";
    public static final String USER_ROLES = "X-User-Roles";
    public static final String USER_TIER = "X-User-Tier";

    /** Sets the identity headers on {@code upstreamHeaders}, the request's own already copied for the upstream. */
    public void apply(MultiMap upstreamHeaders, Identity identity) {
        upstreamHeaders.remove(USER_ID);
        upstreamHeaders.remove(USER_ROLES);
        upstreamHeaders.remove(USER_TIER);
        if (identity != null) {
            upstreamHeaders.set("Authorization", "Bearer " + identity.accessToken());
            upstreamHeaders.set(USER_ID, identity.userId());
            upstreamHeaders.set(USER_ROLES, String.join(",", identity.roles()));
            if (identity.tier() != null) {
                upstreamHeaders.set(USER_TIER, identity.tier());
            }
        }
    }
}
