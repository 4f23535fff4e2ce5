package dev.meridian.local.infra;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Polls a real readiness probe until it passes, the process behind it dies, or time runs out. */
public final class Readiness {

    private Readiness() {
    }

    public static void await(String what, Duration timeout, BooleanSupplier probe, Process process) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!probe.getAsBoolean()) {
            if (process != null && !process.isAlive()) {
                throw new IllegalStateException(what + " exited with code " + process.exitValue() + " before it was ready");
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + " was not ready after " + timeout.toSeconds() + " s");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
        }
    }
}
