package dev.meridian.gateway.upstream;

import dev.meridian.gateway.config.GatewayConfig;
import io.smallrye.faulttolerance.api.CircuitBreakerMaintenance;
import io.smallrye.faulttolerance.api.CircuitBreakerState;
import io.smallrye.faulttolerance.api.Guard;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpClientResponse;
import jakarta.enterprise.util.TypeLiteral;
import jakarta.inject.Singleton;

import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * One SmallRye Fault Tolerance circuit breaker per upstream: when half of its recent requests failed, calls are
 * refused at once for the delay (the client gets 503 with Retry-After) instead of piling onto a failing service; then
 * one trial request decides whether it closes again.
 */
@Singleton
public class UpstreamBreakers {

    private static final TypeLiteral<Uni<HttpClientResponse>> RESPONSE = new TypeLiteral<>() {
    };

    private final GatewayConfig.Resilience config;
    private final CircuitBreakerMaintenance maintenance;
    private final Map<String, Guard> guards = new ConcurrentHashMap<>();

    public UpstreamBreakers(GatewayConfig config, CircuitBreakerMaintenance maintenance) {
        this.config = config.resilience();
        this.maintenance = maintenance;
    }

    public Uni<HttpClientResponse> call(String upstream, Supplier<Uni<HttpClientResponse>> attempt) {
        return guards.computeIfAbsent(upstream, this::create).get(attempt, RESPONSE);
    }

    public CircuitBreakerState state(String upstream) {
        return guards.containsKey(upstream) ? maintenance.currentState(name(upstream)) : CircuitBreakerState.CLOSED;
    }

    public long retryAfterSeconds() {
        return Math.max(1, (long) Math.ceil(config.breakerDelay().toMillis() / 1000.0));
    }

    private Guard create(String upstream) {
        return Guard.create()
                .withCircuitBreaker()
                .name(name(upstream))
                .requestVolumeThreshold(config.breakerWindow())
                .failureRatio(config.breakerFailureRatio())
                .delay(config.breakerDelay().toMillis(), ChronoUnit.MILLIS)
                .successThreshold(1)
                .done()
                // the attempt is non-blocking and already on the event loop
                .withThreadOffload(false)
                .build();
    }

    private static String name(String upstream) {
        return "upstream-" + upstream;
    }
}
