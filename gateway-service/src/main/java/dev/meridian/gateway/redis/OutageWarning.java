package dev.meridian.gateway.redis;

import org.jboss.logging.Logger;

import java.util.concurrent.atomic.AtomicLong;

/** One warning per 10 s: enough to see an outage, where one per request would drown the log. */
public final class OutageWarning {

    private static final long INTERVAL_NANOS = 10_000_000_000L;

    private final Logger log;
    private final AtomicLong last = new AtomicLong(System.nanoTime() - INTERVAL_NANOS);

    public OutageWarning(Logger log) {
        this.log = log;
    }

    public void warn(String format, Object... params) {
        long now = System.nanoTime();
        long previous = last.get();
        if (now - previous > INTERVAL_NANOS && last.compareAndSet(previous, now)) {
            log.warnf(format, params);
        }
    }
}
