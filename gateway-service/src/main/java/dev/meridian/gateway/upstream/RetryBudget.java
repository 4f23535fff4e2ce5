package dev.meridian.gateway.upstream;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Caps retries per upstream at about 20% of its traffic (plus a small reserve), so retries cannot multiply the load
 * on an upstream that is already failing: every request earns 0.2 of a retry, every retry spends one. What can be
 * saved up is the reserve plus 20% of the last second's requests: when an instance dies, the requests it held at
 * once (up to its share of everything in flight) can all go elsewhere.
 */
@Singleton
public class RetryBudget {

    static final double EARNED_PER_REQUEST = 0.2;
    static final double RESERVE = 10;

    private static final class Balance {
        double retries = RESERVE;
        long second;
        long requestsThisSecond;
        long requestsLastSecond;
    }

    private final LongSupplier clock;
    private final Map<String, Balance> balances = new ConcurrentHashMap<>();

    @Inject
    public RetryBudget() {
        this(System::nanoTime);
    }

    RetryBudget(LongSupplier nanoClock) {
        this.clock = nanoClock;
    }

    public void onRequest(String upstream) {
        Balance balance = balances.computeIfAbsent(upstream, name -> new Balance());
        long second = clock.getAsLong() / 1_000_000_000L;
        synchronized (balance) {
            if (second != balance.second) {
                balance.requestsLastSecond = second == balance.second + 1 ? balance.requestsThisSecond : 0;
                balance.requestsThisSecond = 0;
                balance.second = second;
            }
            balance.requestsThisSecond++;
            double cap = RESERVE + EARNED_PER_REQUEST * Math.max(balance.requestsLastSecond, balance.requestsThisSecond);
            balance.retries = Math.min(cap, balance.retries + EARNED_PER_REQUEST);
        }
    }

    public boolean tryRetry(String upstream) {
        Balance balance = balances.computeIfAbsent(upstream, name -> new Balance());
        synchronized (balance) {
            if (balance.retries < 1) {
                return false;
            }
            balance.retries -= 1;
            return true;
        }
    }
}
