package dev.meridian.inference.service;

import dev.meridian.revocation.TokenRevocation;
import io.quarkus.security.identity.SecurityIdentity;
import org.eclipse.microprofile.jwt.JsonWebToken;

import java.util.UUID;

/**
 * Who is calling, from a verified access token only (never a header a client could forge): the owner of what they
 * create; admins see everyone's.
 *
 * @param apiKeyId          the API key the token was exchanged for, if any (usage is reported per key)
 * @param revocationChecked whether the deny-list answered for this request; when it could not be read, ordinary
 *                          calls pass on the token's signature and expiry, but admin powers are refused (503): a
 *                          revoked admin must not act on other users' data during a state-Redis outage
 */
public record Caller(UUID userId, boolean admin, String tier, UUID apiKeyId, boolean revocationChecked) {

    /** Identity attribute the token check sets: true when the deny-list was read (see {@code TokenChecks}). */
    public static final String REVOCATION_CHECKED = "meridian.revocation-checked";

    public static Caller of(SecurityIdentity identity) {
        JsonWebToken token = (JsonWebToken) identity.getPrincipal();
        String tier = token.getClaim("tier");
        String apiKey = token.getClaim(TokenRevocation.API_KEY_CLAIM);
        return new Caller(UUID.fromString(token.getSubject()), identity.hasRole("admin"),
                tier == null ? "free" : tier, apiKey == null ? null : UUID.fromString(apiKey),
                Boolean.TRUE.equals(identity.getAttribute(REVOCATION_CHECKED)));
    }

    /** The caller's own resources, or anyone's for an admin whose token could be checked for revocation. */
    public boolean mayRead(UUID owner) {
        if (userId.equals(owner)) {
            return true;
        }
        if (!admin) {
            return false;
        }
        requireRevocationChecked();
        return true;
    }

    /** Whose resources a call addresses: the caller's own unless an admin names another user. */
    public UUID owner(String requested) {
        if (requested == null) {
            return userId;
        }
        UUID owner;
        try {
            owner = UUID.fromString(requested);
        } catch (IllegalArgumentException e) {
            throw InferenceException.invalid("owner", "invalid_value", "'owner' must be a user id");
        }
        if (!owner.equals(userId)) {
            if (!admin) {
                throw new InferenceException(403, "invalid_request_error", "forbidden", "owner",
                        "only admins may address another user's resources", null);
            }
            requireRevocationChecked();
        }
        return owner;
    }

    /** Admin powers need a token known not to be revoked. */
    public void requireRevocationChecked() {
        if (!revocationChecked) {
            throw InferenceException.unavailable("revocation_check_unavailable", "admin operations need the token"
                    + " deny-list, which could not be read just now; retry shortly");
        }
    }
}
