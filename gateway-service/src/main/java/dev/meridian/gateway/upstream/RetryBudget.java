package dev.meridian.gateway.upstream;

import jakarta.inject.Singleton;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Caps retries per upstream at about 20% of its traffic (plus a small reserve), so retries cannot multiply the load
 * on an upstream that is already failing: every request earns 0.2 of a retry, every retry spends one.
 */
@Singleton
public class RetryBudget {

    static final double EARNED_PER_REQUEST = 0.2;
    static final double RESERVE = 10;

    private final Map<String, double[]> balances = new ConcurrentHashMap<>();

    public void onRequest(String upstream) {
        double[] balance = balances.computeIfAbsent(upstream, name -> new double[] {RESERVE});
        synchronized (balance) {
            balance[0] = Math.min(RESERVE, balance[0] + EARNED_PER_REQUEST);
        }
    }

    public boolean tryRetry(String upstream) {
        double[] balance = balances.computeIfAbsent(upstream, name -> new double[] {RESERVE});
        synchronized (balance) {
            if (balance[0] < 1) {
                return false;
            }
            balance[0] -= 1;
            return true;
        }
    }
}
