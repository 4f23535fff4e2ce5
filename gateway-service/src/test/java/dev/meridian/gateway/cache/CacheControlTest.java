package dev.meridian.gateway.cache;

import org.junit.jupiter.api.Test;

import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CacheControlTest {

    @Test
    void directivesAreReadWhateverTheirCaseSpacingAndQuotes() {
        CacheControl cc = CacheControl.parse(" Public, MAX-AGE=\"60\" ,s-maxage=30, stale-if-error=300, must-revalidate");
        assertTrue(cc.isPublic());
        assertTrue(cc.mustRevalidate());
        assertEquals(OptionalLong.of(60), cc.maxAge());
        assertEquals(OptionalLong.of(30), cc.sMaxAge());
        assertEquals(OptionalLong.of(300), cc.staleIfError());
        // a shared cache goes by s-maxage
        assertEquals(OptionalLong.of(30), cc.sharedMaxAge());
        assertEquals(OptionalLong.of(60), CacheControl.parse("max-age=60").sharedMaxAge());
    }

    @Test
    void malformedAgesCountAsAbsentSoTheyNeverMakeAnAnswerCacheable() {
        assertEquals(OptionalLong.empty(), CacheControl.parse("max-age=soon").maxAge());
        assertEquals(OptionalLong.empty(), CacheControl.parse("max-age=-5").maxAge());
        assertEquals(OptionalLong.empty(), CacheControl.parse("max-age").maxAge());
        assertEquals(CacheControl.NONE, CacheControl.parse(null));
        assertEquals(CacheControl.NONE, CacheControl.parse("  "));
    }

    @Test
    void noCacheWithFieldNamesOnlyRestrictsThoseFields() {
        assertTrue(CacheControl.parse("no-cache").noCache());
        assertFalse(CacheControl.parse("no-cache=\"Set-Cookie\"").noCache());
        assertTrue(CacheControl.parse("private, no-store").noStore());
        assertTrue(CacheControl.parse("private").isPrivate());
    }
}
