package dev.meridian.gateway.upstream;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InstanceHealthTest {

    private final AtomicLong now = new AtomicLong(1_000);
    private final InstanceHealth health = new InstanceHealth(3, Duration.ofSeconds(10), Duration.ofSeconds(35), now::get);

    private void failThrice(String key) {
        for (int i = 0; i < 3; i++) {
            health.failed(key);
        }
    }

    @Test
    void threeFailuresInARowEjectForTheCoolDownThenTheInstanceReturns() {
        health.failed("u@a");
        health.failed("u@a");
        assertTrue(health.inRotation("u@a"));
        health.failed("u@a");
        assertFalse(health.inRotation("u@a"));
        assertEquals(List.of("u@b"), health.usable(List.of("u@a", "u@b"), Function.identity()));
        now.addAndGet(10_001);
        assertTrue(health.inRotation("u@a"));
        assertEquals(List.of("u@a", "u@b"), health.usable(List.of("u@a", "u@b"), Function.identity()));
    }

    @Test
    void ejectionsSoonAfterEachOtherDoubleTheCoolDownUpToTheMaximumAndTimeInRotationHalvesItBack() {
        failThrice("u@a");
        assertEquals(10_000, health.millisUntilReturn(List.of("u@a"), 2_000));
        now.addAndGet(10_000);
        failThrice("u@a");
        assertEquals(20_000, health.millisUntilReturn(List.of("u@a"), 2_000));
        now.addAndGet(20_000);
        failThrice("u@a");
        assertEquals(35_000, health.millisUntilReturn(List.of("u@a"), 2_000), "capped at the maximum");
        // back for two cool-downs: two levels fewer
        now.addAndGet(35_000 + 20_000);
        failThrice("u@a");
        assertEquals(20_000, health.millisUntilReturn(List.of("u@a"), 2_000));
    }

    @Test
    void aSuccessClearsTheCount() {
        health.failed("u@a");
        health.failed("u@a");
        health.succeeded("u@a");
        health.failed("u@a");
        health.failed("u@a");
        assertTrue(health.inRotation("u@a"));
    }

    @Test
    void anUnreachableInstanceIsDownUntilAHealthCheckFindsItReadyAndThenStartsAfresh() {
        failThrice("u@a");
        health.unreachable("u@a");
        now.addAndGet(60_000);
        assertFalse(health.inRotation("u@a"), "down outlasts the ejection");
        health.checked("u@a", true);
        assertTrue(health.inRotation("u@a"));
        assertEquals(0, health.snapshot().get("u@a").level(), "a restarted process starts afresh");
    }

    @Test
    void aReadyHealthCheckDoesNotEndAnEjectionForFailedRequests() {
        failThrice("u@a");
        health.checked("u@a", true);
        assertFalse(health.inRotation("u@a"));
        health.checked("u@b", false);
        assertFalse(health.inRotation("u@b"));
    }

    @Test
    void withEveryInstanceOutNoneIsUsableAndTheBreakerShowsOpen() {
        failThrice("u@a");
        health.checked("u@b", false);
        assertEquals(List.of(), health.usable(List.of("u@a", "u@b"), Function.identity()));
        assertTrue(health.noneInRotation("u"));
        assertFalse(health.noneInRotation("other"));
    }

    @Test
    void instancesDiscoveryNoLongerListsAreForgotten() {
        health.checked("u@a", true);
        health.checked("u@b", false);
        health.retain("u", Set.of("u@a"));
        assertEquals(Set.of("u@a"), health.snapshot().keySet());
    }
}
