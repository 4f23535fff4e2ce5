package dev.meridian.deadline;

import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A warning logged at most once per interval: a dependency that stays down fails every request, and one line per
 * request would bury everything else in the log.
 */
public final class ThrottledWarning {

    private final Logger log;
    private final long everyNanos;
    private final AtomicLong last;

    public ThrottledWarning(Logger log, Duration every) {
        this.log = log;
        this.everyNanos = every.toNanos();
        this.last = new AtomicLong(System.nanoTime() - everyNanos);
    }

    public void warn(String format, Object... params) {
        long now = System.nanoTime();
        long previous = last.get();
        if (now - previous >= everyNanos && last.compareAndSet(previous, now)) {
            log.warnf(format, params);
        }
    }
}
