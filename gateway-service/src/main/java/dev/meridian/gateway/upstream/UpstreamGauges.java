package dev.meridian.gateway.upstream;

import dev.meridian.gateway.pipeline.RouteTable;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.TreeSet;

/**
 * Upstream health for dashboards and alerts, per upstream: the breaker (2 while no instance is in rotation, so every
 * request is refused, else 0) and how many instances are out of rotation (ejected or down).
 */
@Startup
@ApplicationScoped
public class UpstreamGauges {

    public UpstreamGauges(MeterRegistry meters, RouteTable routes, InstanceHealth health) {
        TreeSet<String> upstreams = new TreeSet<>();
        routes.all().forEach(route -> upstreams.add(route.upstream()));
        for (String upstream : upstreams) {
            Gauge.builder("meridian.gateway.upstream.breaker", health, h -> h.noneInRotation(upstream) ? 2 : 0)
                    .description("2 while no instance is in rotation (every request refused), else 0")
                    .tag("upstream", upstream).register(meters);
            Gauge.builder("meridian.gateway.upstream.ejected", health, h -> h.outOfRotation(upstream))
                    .description("instances out of rotation: ejected after failing, or down").tag("upstream", upstream)
                    .register(meters);
        }
    }

}
