package dev.meridian.gateway.ratelimit;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalRateLimiterTest {

    /** 10 per second with a burst of 10, shared by two gateways: each admits a burst of 5 at 5 per second. */
    private final RateLimiter.Policy policy = new RateLimiter.Policy("p",
            List.of(new RateLimiter.Limit("second", 10, 1, 10, 100_000, 900_000)));
    private final LocalRateLimiter limiter = new LocalRateLimiter(2);

    @Test
    void eachInstanceAdmitsItsShareThenRefusesWithRetryAfter() {
        long now = 5_000_000;
        for (int i = 0; i < 5; i++) {
            RateLimiter.Decision decision = limiter.acquire(policy, "user:a", now);
            assertTrue(decision.allowed(), "request " + i);
            assertEquals(4 - i, decision.remaining());
        }
        RateLimiter.Decision refused = limiter.acquire(policy, "user:a", now);
        assertFalse(refused.allowed());
        assertEquals(200_000, refused.retryAfterMicros());
        assertEquals(5, refused.tightest().burst());
        // another subject has its own budget
        assertTrue(limiter.acquire(policy, "user:b", now).allowed());
        // one emission interval (1 / 5 s) later, one more
        assertTrue(limiter.acquire(policy, "user:a", now + 200_000).allowed());
        assertFalse(limiter.acquire(policy, "user:a", now + 200_000).allowed());
    }
}
