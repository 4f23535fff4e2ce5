package dev.meridian.gateway.upstream;

import dev.meridian.gateway.config.GatewayConfig;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Passive health per upstream instance: one that fails (unreachable, 502/503/504, reset) several times in a row is
 * left out of load balancing for a cool-down, then gets traffic again; one success clears its count. When every
 * instance is out, all are used: refusing everything would be worse than trying.
 */
@Singleton
public class InstanceHealth {

    /** For the admin API: failures in a row and, when ejected, until when (epoch millis; 0 when in rotation). */
    public record State(int consecutiveFailures, long ejectedUntil) {
    }

    private final int threshold;
    private final long coolDownMillis;
    private final LongSupplier clock;
    private final Map<String, State> states = new ConcurrentHashMap<>();

    @Inject
    public InstanceHealth(GatewayConfig config) {
        this(config.resilience().ejectAfterFailures(), config.resilience().ejectionCoolDown(), System::currentTimeMillis);
    }

    InstanceHealth(int threshold, Duration coolDown, LongSupplier clock) {
        this.threshold = threshold;
        this.coolDownMillis = coolDown.toMillis();
        this.clock = clock;
    }

    /** Health is per upstream and address: one process may serve several upstreams, each failing on its own. */
    public static String key(String upstream, String address) {
        return upstream + "@" + address;
    }

    public void failed(String address) {
        states.compute(address, (key, state) -> {
            int failures = (state == null ? 0 : state.consecutiveFailures()) + 1;
            return failures >= threshold ? new State(0, clock.getAsLong() + coolDownMillis)
                    : new State(failures, state == null ? 0 : state.ejectedUntil());
        });
    }

    public void succeeded(String address) {
        State state = states.get(address);
        if (state != null && state.consecutiveFailures() > 0) {
            states.put(address, new State(0, state.ejectedUntil()));
        }
    }

    public boolean ejected(String address) {
        State state = states.get(address);
        return state != null && state.ejectedUntil() > clock.getAsLong();
    }

    /** The instances in rotation, or all of them when none is. */
    public <T> List<T> usable(List<T> instances, Function<T, String> address) {
        if (instances.stream().noneMatch(instance -> ejected(address.apply(instance)))) {
            // the usual case, on every request: nothing to leave out, nothing to copy
            return instances;
        }
        List<T> usable = instances.stream().filter(instance -> !ejected(address.apply(instance))).toList();
        return usable.isEmpty() ? instances : usable;
    }

    /** Instances of {@code upstream} out of rotation right now. */
    public long ejectedCount(String upstream) {
        return states.keySet().stream().filter(key -> key.startsWith(upstream + "@") && ejected(key)).count();
    }

    public Map<String, State> snapshot() {
        return new TreeMap<>(states);
    }
}
