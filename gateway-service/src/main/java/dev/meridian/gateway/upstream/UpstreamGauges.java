package dev.meridian.gateway.upstream;

import dev.meridian.gateway.pipeline.RouteTable;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import io.smallrye.faulttolerance.api.CircuitBreakerState;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.TreeSet;

/**
 * Upstream health for dashboards and alerts, per upstream: the breaker's state (0 closed, 1 half-open, 2 open) and how
 * many instances passive health has ejected.
 */
@Startup
@ApplicationScoped
public class UpstreamGauges {

    public UpstreamGauges(MeterRegistry meters, RouteTable routes, UpstreamBreakers breakers, InstanceHealth health) {
        TreeSet<String> upstreams = new TreeSet<>();
        routes.all().forEach(route -> upstreams.add(route.upstream()));
        for (String upstream : upstreams) {
            Gauge.builder("meridian.gateway.upstream.breaker", breakers, b -> stateValue(b.state(upstream)))
                    .description("circuit breaker: 0 closed, 1 half-open, 2 open").tag("upstream", upstream)
                    .register(meters);
            Gauge.builder("meridian.gateway.upstream.ejected", health, h -> h.ejectedCount(upstream))
                    .description("instances out of rotation after failing").tag("upstream", upstream)
                    .register(meters);
        }
    }

    private static double stateValue(CircuitBreakerState state) {
        return switch (state) {
            case CLOSED -> 0;
            case HALF_OPEN -> 1;
            case OPEN -> 2;
        };
    }
}
