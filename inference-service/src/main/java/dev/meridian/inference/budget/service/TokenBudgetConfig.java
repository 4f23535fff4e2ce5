package dev.meridian.inference.budget.service;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Map;

/** Tokens each tier may send to the models, per window; unknown tiers get free's. */
@ConfigMapping(prefix = "meridian.inference.token-budgets")
public interface TokenBudgetConfig {

    @WithDefault("true")
    boolean enabled();

    /** By tier: tokens per window ({@code per-minute}, {@code per-day}). */
    Map<String, Tier> tiers();

    /**
     * The longest a request waits for the budget's Redis while it answers its health pings; past it, or within about
     * 0.6 s of Redis going silent, the budget is kept in this process (counted).
     */
    @WithDefault("PT0.75S")
    Duration redisTimeout();

    /** inference-service instances sharing the budgets: each keeps this share while it decides without Redis. */
    @WithDefault("1")
    int instances();

    interface Tier {
        long perMinute();

        long perDay();
    }
}
