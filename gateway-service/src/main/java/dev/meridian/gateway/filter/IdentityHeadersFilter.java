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

    public MultiMap apply(MultiMap incoming, Identity identity) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().addAll(incoming);
        headers.remove(USER_ID);
        headers.remove(USER_ROLES);
        headers.remove(USER_TIER);
        if (identity != null) {
            headers.set("Authorization", "Bearer " + identity.accessToken());
            headers.set(USER_ID, identity.userId());
            headers.set(USER_ROLES, String.join(",", identity.roles()));
            if (identity.tier() != null) {
                headers.set(USER_TIER, identity.tier());
            }
        }
        return headers;
    }
}
