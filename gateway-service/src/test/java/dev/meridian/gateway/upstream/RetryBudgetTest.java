package dev.meridian.gateway.upstream;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RetryBudgetTest {

    private final AtomicLong nanos = new AtomicLong(5_000_000_000L);
    private final RetryBudget budget = new RetryBudget(nanos::get);

    @Test
    void retriesStayNearTwentyPercentOfTrafficPlusTheReserve() {
        int retries = 0;
        for (int i = 0; i < 1000; i++) {
            budget.onRequest("users");
            // an upstream that fails everything: every request would like a retry
            if (budget.tryRetry("users")) {
                retries++;
            }
        }
        // 1000 requests earn 200 retries, on top of the reserve of 10 (minus rounding of the last fraction)
        assertEquals(209, retries, 1);
        assertEquals(10, countRetries("inference-without-traffic"), "a quiet upstream keeps its reserve");
    }

    @Test
    void aBusyUpstreamSavesTwentyPercentOfALastSecondForAnInstanceThatDiesAtOnce() {
        for (int i = 0; i < 1000; i++) {
            budget.onRequest("inference");
        }
        nanos.addAndGet(1_000_000_000L);
        for (int i = 0; i < 100; i++) {
            budget.onRequest("inference");
        }
        // 1100 requests earned 220, of which a reserve and 20% of the last second's 1000 can be held
        assertEquals(210, countRetries("inference"));
    }

    @Test
    void whatWasSavedShrinksBackToTheReserveWhenTrafficStops() {
        for (int i = 0; i < 1000; i++) {
            budget.onRequest("inference");
        }
        nanos.addAndGet(5_000_000_000L);
        budget.onRequest("inference");
        assertEquals(10, countRetries("inference"));
    }

    private int countRetries(String upstream) {
        int retries = 0;
        while (budget.tryRetry(upstream)) {
            retries++;
        }
        return retries;
    }
}
