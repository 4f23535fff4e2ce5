package dev.meridian.revocation;

/**
 * The Redis deny-list contract between user-service (writes) and the gateway and services (read) that cuts access
 * within seconds, not at token expiry. Entries live as long as an access token can (TTL = token lifetime + skew).
 * <ul>
 *   <li>{@code meridian:revoked:user:{<user id>}} = epoch seconds: every token of that user issued at or before this
 *   second is revoked (disable, erase).</li>
 *   <li>{@code meridian:revoked:apikey:{<user id>}:<api key id>} = epoch seconds: every token minted from that API key
 *   (claim {@value #API_KEY_CLAIM}) is revoked.</li>
 * </ul>
 * Every key of a user carries the user's {@linkplain #hashTag hash tag}, so on Redis Cluster one user's deny-list
 * entries, rate limits and token budgets share a slot, and a script or MGET over them never fails with CROSSSLOT.
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

    /** {@code {<user id>}}: Redis Cluster hashes only this part of a key, so all keys of one user share a slot. */
    public static String hashTag(String userId) {
        return "{" + userId + "}";
    }

    public static String userKey(String userId) {
        return USER_PREFIX + hashTag(userId);
    }

    public static String apiKeyKey(String userId, String apiKeyId) {
        return API_KEY_PREFIX + hashTag(userId) + ":" + apiKeyId;
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
