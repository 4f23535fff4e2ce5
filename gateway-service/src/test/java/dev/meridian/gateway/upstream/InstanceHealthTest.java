package dev.meridian.gateway.upstream;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InstanceHealthTest {

    private final AtomicLong now = new AtomicLong(1_000);
    private final InstanceHealth health = new InstanceHealth(3, Duration.ofSeconds(10), now::get);

    @Test
    void threeFailuresInARowEjectForTheCoolDownThenTheInstanceReturns() {
        health.failed("a");
        health.failed("a");
        assertFalse(health.ejected("a"));
        health.failed("a");
        assertTrue(health.ejected("a"));
        assertEquals(List.of("b"), health.usable(List.of("a", "b"), Function.identity()));
        now.addAndGet(10_001);
        assertFalse(health.ejected("a"));
        assertEquals(List.of("a", "b"), health.usable(List.of("a", "b"), Function.identity()));
    }

    @Test
    void aSuccessClearsTheCount() {
        health.failed("a");
        health.failed("a");
        health.succeeded("a");
        health.failed("a");
        health.failed("a");
        assertFalse(health.ejected("a"));
    }

    @Test
    void whenEveryInstanceIsOutAllAreTried() {
        for (int i = 0; i < 3; i++) {
            health.failed("a");
            health.failed("b");
        }
        assertEquals(List.of("a", "b"), health.usable(List.of("a", "b"), Function.identity()));
    }
}
