package dev.meridian.inference.budget.service;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.time.Duration;
import java.util.List;

/**
 * The same budget arithmetic as the Redis script, in this process, for while Redis does not answer in time: each
 * window at this instance's share ({@code limit / instances}), so the budgets still hold (approximately) during a
 * Redis outage or a burst the Redis connections cannot keep up with, instead of opening exactly then.
 */
final class LocalTokenBudget {

    /** One window of one budget: its limit (tokens) and length (microseconds). */
    record Window(String name, long limit, long micros) {
    }

    /** {@code tightest}: index of the window with the fewest tokens left (or the one that refused). */
    record Outcome(boolean allowed, long retryAfterMicros, long remaining, long resetMicros, int tightest) {
    }

    private final int instances;
    /** Theoretical arrival times, per user and window, in microseconds on the nanoTime clock. */
    private final Cache<String, double[]> arrivals = Caffeine.newBuilder().maximumSize(100_000)
            .expireAfterAccess(Duration.ofDays(1)).build();

    LocalTokenBudget(int instances) {
        this.instances = Math.max(1, instances);
    }

    synchronized Outcome charge(String userId, List<Window> windows, long cost, long nowMicros) {
        double[] tats = arrivals.get(userId, id -> new double[windows.size()]);
        double[] next = new double[windows.size()];
        boolean allowed = true;
        long retryAfter = 0;
        long remaining = Long.MAX_VALUE;
        long reset = 0;
        int tightest = 0;
        for (int i = 0; i < windows.size(); i++) {
            Window window = windows.get(i);
            double perToken = (double) window.micros() / Math.max(1, window.limit() / instances);
            double tat = Math.max(tats[i], nowMicros);
            double newTat = Math.max(nowMicros, tat + cost * perToken);
            if (cost > 0 && newTat - nowMicros > window.micros()) {
                allowed = false;
                retryAfter = Math.max(retryAfter, (long) (newTat - nowMicros - window.micros()));
                newTat = tat;
            }
            next[i] = newTat;
            long left = (long) Math.floor((window.micros() - (newTat - nowMicros)) / perToken);
            if (left < remaining) {
                remaining = left;
                reset = (long) (newTat - nowMicros);
                tightest = i;
            }
        }
        if (allowed) {
            System.arraycopy(next, 0, tats, 0, next.length);
        }
        return new Outcome(allowed, retryAfter, Math.max(0, remaining), reset, tightest);
    }
}
