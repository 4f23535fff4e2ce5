package dev.meridian.revocation;

/**
 * The Redis deny-list contract between user-service (writes) and the gateway and services (read) that cuts access
 * within seconds, not at token expiry. Entries live as long as an access token can (TTL = token lifetime + skew).
 * <ul>
 *   <li>{@code meridian:revoked:user:<user id>} = epoch seconds: every token of that user issued at or before this
 *   second is revoked (disable, erase).</li>
 *   <li>{@code meridian:revoked:apikey:<api key id>} = epoch seconds: every token minted from that API key (claim
 *   {@value #API_KEY_CLAIM}) is revoked.</li>
 * </ul>
 */
public final class TokenRevocation {

    public static final String USER_PREFIX = "meridian:revoked:user:";
    public static final String API_KEY_PREFIX = "meridian:revoked:apikey:";
    /** Access-token claim naming the API key a token was exchanged for. */
    public static final String API_KEY_CLAIM = "akid";
    /** Access-token claim carrying the user's tier. */
    public static final String TIER_CLAIM = "tier";

    private TokenRevocation() {
    }

    public static String userKey(String userId) {
        return USER_PREFIX + userId;
    }

    public static String apiKeyKey(String apiKeyId) {
        return API_KEY_PREFIX + apiKeyId;
    }

    /** True when a token issued at {@code issuedAtEpochSeconds} falls under a revocation entry's value. */
    public static boolean revokes(String entryValue, long issuedAtEpochSeconds) {
        if (entryValue == null) {
            return false;
        }
        try {
            return issuedAtEpochSeconds <= Long.parseLong(entryValue.trim());
        } catch (NumberFormatException e) {
            return true; // an unreadable entry fails closed
        }
    }
}
