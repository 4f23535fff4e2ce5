package dev.meridian.gateway.upstream;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RetryBudgetTest {

    @Test
    void retriesStayNearTwentyPercentOfTrafficPlusTheReserve() {
        RetryBudget budget = new RetryBudget();
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
        assertEquals(10, countRetries(budget, "inference-without-traffic"), "a quiet upstream keeps its reserve");
    }

    private static int countRetries(RetryBudget budget, String upstream) {
        int retries = 0;
        while (budget.tryRetry(upstream)) {
            retries++;
        }
        return retries;
    }
}
