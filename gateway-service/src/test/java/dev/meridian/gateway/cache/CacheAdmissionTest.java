package dev.meridian.gateway.cache;

import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CacheAdmissionTest {

    private static final Duration MAX_TTL = Duration.ofHours(1);
    private static final Duration STALE_IF_ERROR = Duration.ofMinutes(5);

    private static Optional<CacheAdmission.Admission> admit(int status, boolean authenticated, String... headers) {
        MultiMap map = MultiMap.caseInsensitiveMultiMap();
        for (int i = 0; i < headers.length; i += 2) {
            map.add(headers[i], headers[i + 1]);
        }
        return CacheAdmission.admit(status, map, authenticated, MAX_TTL, STALE_IF_ERROR);
    }

    @Test
    void onlyExplicitFreshnessIsKeptLessItsAgeAndCappedAtTheMaximum() {
        assertEquals(Optional.of(new CacheAdmission.Admission(50_000, 300_000, false)),
                admit(200, false, "Cache-Control", "max-age=60", "Age", "10"));
        assertEquals(Optional.of(new CacheAdmission.Admission(3_600_000, 300_000, false)),
                admit(200, false, "Cache-Control", "max-age=86400"));
        assertTrue(admit(200, false).isEmpty(), "no freshness");
        assertTrue(admit(200, false, "Cache-Control", "max-age=60", "Age", "60").isEmpty(), "already stale");
    }

    @Test
    void whatMustNotBeStoredIsNot() {
        assertTrue(admit(200, false, "Cache-Control", "max-age=60, no-store").isEmpty());
        assertTrue(admit(200, false, "Cache-Control", "max-age=60, no-cache").isEmpty());
        assertTrue(admit(200, false, "Cache-Control", "max-age=60", "Set-Cookie", "s=1").isEmpty());
        assertTrue(admit(200, false, "Cache-Control", "max-age=60", "Vary", "*").isEmpty());
        assertTrue(admit(500, false, "Cache-Control", "max-age=60").isEmpty());
    }

    @Test
    void answersToCallersWithCredentialsAreSharedOnlyWhenMarkedSoOrKeptPerUserWhenPrivate() {
        assertTrue(admit(200, true, "Cache-Control", "max-age=60").isEmpty(), "unmarked");
        assertEquals(Optional.of(new CacheAdmission.Admission(60_000, 300_000, false)),
                admit(200, true, "Cache-Control", "public, max-age=60"));
        assertEquals(Optional.of(new CacheAdmission.Admission(30_000, 300_000, false)),
                admit(200, true, "Cache-Control", "s-maxage=30"));
        assertEquals(Optional.of(new CacheAdmission.Admission(60_000, 300_000, true)),
                admit(200, true, "Cache-Control", "private, max-age=60"));
        assertTrue(admit(200, false, "Cache-Control", "private, max-age=60").isEmpty(), "private, nobody to keep it for");
    }

    @Test
    void staleIfErrorIsTheUpstreamsOwnOrTheDefaultAndNoneWhenItMustRevalidate() {
        assertEquals(10_000, admit(200, false, "Cache-Control", "max-age=60, stale-if-error=10").orElseThrow()
                .staleIfErrorMillis());
        assertEquals(0, admit(200, false, "Cache-Control", "max-age=60, must-revalidate").orElseThrow()
                .staleIfErrorMillis());
    }
}
