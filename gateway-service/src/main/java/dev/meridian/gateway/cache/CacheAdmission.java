package dev.meridian.gateway.cache;

import io.vertx.core.MultiMap;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * Whether an upstream answer may be stored, for how long, and for whom (RFC 9111 for a shared cache). Only answers
 * with explicit freshness are kept; no-store, no-cache, Set-Cookie and Vary: * never. An answer to a request with
 * credentials is shared only when marked public or s-maxage; marked private, it is kept for that user alone.
 */
public final class CacheAdmission {

    private static final Set<Integer> CACHEABLE_STATUS = Set.of(200, 203, 204, 300, 301, 308, 404, 410);

    /** Freshness and the extra time it may be served when the upstream fails; {@code perUser} keys it by user. */
    public record Admission(long freshMillis, long staleIfErrorMillis, boolean perUser) {
    }

    private CacheAdmission() {
    }

    public static Optional<Admission> admit(int status, MultiMap headers, boolean authenticated, Duration maxTtl,
                                            Duration defaultStaleIfError) {
        CacheControl cc = CacheControl.parse(String.join(",", headers.getAll("Cache-Control")));
        if (!CACHEABLE_STATUS.contains(status) || cc.noStore() || cc.noCache() || headers.contains("Set-Cookie")
                || headers.getAll("Vary").stream().anyMatch(v -> v.trim().equals("*"))) {
            return Optional.empty();
        }
        boolean perUser = cc.isPrivate();
        if (perUser && !authenticated) {
            return Optional.empty();
        }
        if (authenticated && !perUser && !cc.isPublic() && cc.sMaxAge().isEmpty()) {
            return Optional.empty();
        }
        if (cc.sharedMaxAge().isEmpty()) {
            return Optional.empty();
        }
        long age = parseAge(headers.get("Age"));
        long freshSeconds = Math.min(cc.sharedMaxAge().getAsLong(), maxTtl.toSeconds()) - age;
        if (freshSeconds <= 0) {
            return Optional.empty();
        }
        long stale = cc.mustRevalidate() ? 0
                : cc.staleIfError().orElse(defaultStaleIfError.toSeconds());
        return Optional.of(new Admission(freshSeconds * 1000, stale * 1000, perUser));
    }

    static long parseAge(String age) {
        try {
            return age == null ? 0 : Math.max(0, Long.parseLong(age.trim()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
