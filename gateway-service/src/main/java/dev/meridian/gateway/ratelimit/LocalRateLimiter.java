package dev.meridian.gateway.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.meridian.gateway.config.GatewayConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The fallback when Redis cannot answer and a route chose {@code local}: the same GCRA in this process, with each
 * limit cut to its share (rate and burst divided by the number of gateway instances), so the instances together stay
 * near the real limit while Redis is away.
 */
@ApplicationScoped
public class LocalRateLimiter {

    private final int instances;
    private final Map<String, RateLimiter.Policy> shares = new ConcurrentHashMap<>();
    /** Theoretical arrival time per limit of a subject's policy, microseconds on the nanoTime clock. */
    private final Cache<String, long[]> arrivals = Caffeine.newBuilder().maximumSize(100_000)
            .expireAfterAccess(Duration.ofDays(1)).build();

    @Inject
    public LocalRateLimiter(GatewayConfig config) {
        this(config.rateLimits().gatewayInstances());
    }

    LocalRateLimiter(int instances) {
        this.instances = Math.max(1, instances);
    }

    public RateLimiter.Decision acquire(RateLimiter.Policy policy, String subject) {
        return acquire(policy, subject, System.nanoTime() / 1000);
    }

    RateLimiter.Decision acquire(RateLimiter.Policy policy, String subject, long nowMicros) {
        RateLimiter.Policy share = shares.computeIfAbsent(policy.name(), name -> share(policy));
        List<RateLimiter.Limit> limits = share.limits();
        long[] tats = arrivals.get(policy.name() + ":" + subject, key -> new long[limits.size()]);
        synchronized (tats) {
            // the same all-or-nothing rule as gcra.lua
            long[] next = new long[limits.size()];
            boolean allowed = true;
            long retryAfter = 0;
            long remaining = Long.MAX_VALUE;
            long reset = 0;
            RateLimiter.Limit tightest = limits.get(0);
            for (int i = 0; i < limits.size(); i++) {
                RateLimiter.Limit limit = limits.get(i);
                long tat = Math.max(tats[i], nowMicros);
                next[i] = tat + limit.emissionMicros();
                long allowAt = next[i] - limit.toleranceMicros() - limit.emissionMicros();
                if (nowMicros < allowAt) {
                    allowed = false;
                    retryAfter = Math.max(retryAfter, allowAt - nowMicros);
                }
                long left = allowed ? Math.floorDiv(nowMicros + limit.toleranceMicros() + limit.emissionMicros() - next[i],
                        limit.emissionMicros()) : 0;
                if (left < remaining) {
                    remaining = left;
                    reset = next[i] - nowMicros;
                    tightest = limit;
                }
            }
            if (allowed) {
                System.arraycopy(next, 0, tats, 0, next.length);
            }
            return new RateLimiter.Decision(allowed, false, retryAfter, Math.max(0, remaining), reset, tightest, share);
        }
    }

    private RateLimiter.Policy share(RateLimiter.Policy policy) {
        return new RateLimiter.Policy(policy.name(), policy.limits().stream().map(limit -> {
            int burst = Math.max(1, (int) Math.ceil(limit.burst() / (double) instances));
            long emission = limit.emissionMicros() * instances;
            return new RateLimiter.Limit(limit.name(), limit.rate() / instances, limit.windowSeconds(), burst, emission,
                    emission * (burst - 1L));
        }).toList());
    }
}
