package dev.meridian.gateway.redis;

import jakarta.inject.Singleton;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready while the state Redis answers the probe. The cache Redis is left out on purpose: without it the gateway
 * serves every request uncached, and taking every instance out of rotation for that would turn a cache outage into
 * a full one (Quarkus' own Redis check, which covers every client, is off).
 */
@Readiness
@Singleton
public class RedisReadiness implements HealthCheck {

    private final RedisHealth state;

    public RedisReadiness(RedisHealth state) {
        this.state = state;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("Redis (state)").status(state.healthy()).build();
    }
}
