package dev.meridian.gateway.cache;

import java.util.Locale;
import java.util.OptionalLong;

/** The Cache-Control directives a shared cache acts on (RFC 9111, plus stale-if-error from RFC 5861). */
public record CacheControl(boolean noStore, boolean noCache, boolean isPrivate, boolean isPublic,
                           boolean mustRevalidate, OptionalLong maxAge, OptionalLong sMaxAge,
                           OptionalLong staleIfError) {

    public static final CacheControl NONE = new CacheControl(false, false, false, false, false,
            OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty());

    public static CacheControl parse(String header) {
        if (header == null || header.isBlank()) {
            return NONE;
        }
        boolean noStore = false, noCache = false, isPrivate = false, isPublic = false, mustRevalidate = false;
        OptionalLong maxAge = OptionalLong.empty(), sMaxAge = OptionalLong.empty(), staleIfError = OptionalLong.empty();
        for (String part : header.split(",")) {
            String directive = part.trim().toLowerCase(Locale.ROOT);
            int eq = directive.indexOf('=');
            String name = eq < 0 ? directive : directive.substring(0, eq).trim();
            String value = eq < 0 ? null : directive.substring(eq + 1).trim().replace("\"", "");
            switch (name) {
                case "no-store" -> noStore = true;
                // no-cache="field" only restricts fields; the plain form forbids reuse without revalidation
                case "no-cache" -> noCache = noCache || value == null;
                case "private" -> isPrivate = true;
                case "public" -> isPublic = true;
                case "must-revalidate", "proxy-revalidate" -> mustRevalidate = true;
                case "max-age" -> maxAge = seconds(value);
                case "s-maxage" -> sMaxAge = seconds(value);
                case "stale-if-error" -> staleIfError = seconds(value);
                default -> {
                    // other directives do not change what the gateway does
                }
            }
        }
        return new CacheControl(noStore, noCache, isPrivate, isPublic, mustRevalidate, maxAge, sMaxAge, staleIfError);
    }

    /** A malformed value counts as absent, so it can never make something cacheable. */
    private static OptionalLong seconds(String value) {
        try {
            long seconds = value == null ? -1 : Long.parseLong(value);
            return seconds < 0 ? OptionalLong.empty() : OptionalLong.of(seconds);
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** Freshness for a shared cache: s-maxage wins over max-age. */
    public OptionalLong sharedMaxAge() {
        return sMaxAge.isPresent() ? sMaxAge : maxAge;
    }
}
