package dev.meridian.gateway.upstream;

import dev.meridian.gateway.config.GatewayConfig;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Health per upstream instance, as Envoy's outlier detection and active health checks keep it.
 * <ul>
 * <li>An instance that cannot be connected to, or whose health check fails, is <b>down</b>: out of rotation until a
 * health check finds it ready again (a restarted instance is back within one check interval).</li>
 * <li>One that fails requests (502/503/504, reset, timeout) several times in a row is <b>ejected</b> for a cool-down
 * that doubles with each ejection that follows soon after the last (up to a maximum), and halves back for every
 * cool-down it then spends in rotation. A health check does not end an ejection: an instance can be ready and still
 * fail requests. One success clears the count.</li>
 * </ul>
 * An upstream with no instance left in rotation is refused at once (503) until the first one returns; the others are
 * never affected by one failing.
 */
@Singleton
public class InstanceHealth {

    /** For the admin API: failures in a row; ejected until (epoch millis, 0 when not); ejections that follow; down. */
    public record State(int consecutiveFailures, long ejectedUntil, int level, boolean down) {
        static final State HEALTHY = new State(0, 0, 0, false);

        boolean inRotation(long now) {
            return !down && ejectedUntil <= now;
        }
    }

    private final int threshold;
    private final long coolDownMillis;
    private final long maxCoolDownMillis;
    private final LongSupplier clock;
    private final Map<String, State> states = new ConcurrentHashMap<>();

    @Inject
    public InstanceHealth(GatewayConfig config) {
        this(config.resilience().ejectAfterFailures(), config.resilience().ejectionCoolDown(),
                config.resilience().maxEjectionCoolDown(), System::currentTimeMillis);
    }

    InstanceHealth(int threshold, Duration coolDown, Duration maxCoolDown, LongSupplier clock) {
        this.threshold = threshold;
        this.coolDownMillis = coolDown.toMillis();
        this.maxCoolDownMillis = Math.max(coolDownMillis, maxCoolDown.toMillis());
        this.clock = clock;
    }

    /** Health is per upstream and address: one process may serve several upstreams, each failing on its own. */
    public static String key(String upstream, String address) {
        return upstream + "@" + address;
    }

    /** A request failed (5xx the gateway retries on, reset, timeout). */
    public void failed(String key) {
        long now = clock.getAsLong();
        states.compute(key, (k, state) -> {
            State current = state == null ? State.HEALTHY : state;
            int failures = current.consecutiveFailures() + 1;
            if (failures < threshold || current.ejectedUntil() > now) {
                return new State(failures, current.ejectedUntil(), current.level(), current.down());
            }
            // the level decays by one for every cool-down spent in rotation since the last ejection ended
            long inRotation = current.ejectedUntil() == 0 ? Long.MAX_VALUE : now - current.ejectedUntil();
            int level = (int) Math.max(0, current.level() - Math.min(inRotation / coolDownMillis, 64));
            long coolDown = Math.min(maxCoolDownMillis, coolDownMillis << Math.min(level, 20));
            return new State(0, now + coolDown, level + 1, current.down());
        });
    }

    /** Nothing listens at the address: down until a health check finds it ready. */
    public void unreachable(String key) {
        states.compute(key, (k, state) -> {
            State current = state == null ? State.HEALTHY : state;
            return new State(current.consecutiveFailures(), current.ejectedUntil(), current.level(), true);
        });
    }

    public void succeeded(String key) {
        State state = states.get(key);
        if (state != null && state.consecutiveFailures() > 0) {
            states.computeIfPresent(key, (k, current) ->
                    new State(0, current.ejectedUntil(), current.level(), current.down()));
        }
    }

    /**
     * The result of a health check. Ready after being down: a process that went away and came back starts afresh.
     * Not ready: down.
     */
    public void checked(String key, boolean ready) {
        states.compute(key, (k, state) -> {
            State current = state == null ? State.HEALTHY : state;
            if (!ready) {
                return new State(current.consecutiveFailures(), current.ejectedUntil(), current.level(), true);
            }
            return current.down() ? State.HEALTHY : current;
        });
    }

    /** Forgets instances discovery no longer lists, so the map stays as large as the fleet. */
    public void retain(String upstream, Set<String> keys) {
        states.keySet().removeIf(key -> key.startsWith(upstream + "@") && !keys.contains(key));
    }

    public boolean inRotation(String key) {
        State state = states.get(key);
        return state == null || state.inRotation(clock.getAsLong());
    }

    /** The instances in rotation (possibly none). */
    public <T> List<T> usable(List<T> instances, Function<T, String> key) {
        if (instances.stream().allMatch(instance -> inRotation(key.apply(instance)))) {
            // the usual case, on every request: nothing to leave out, nothing to copy
            return instances;
        }
        return instances.stream().filter(instance -> inRotation(key.apply(instance))).toList();
    }

    /** Milliseconds until the first of these instances is expected back (at least one check interval when down). */
    public long millisUntilReturn(Collection<String> keys, long downMillis) {
        long now = clock.getAsLong();
        long soonest = Long.MAX_VALUE;
        for (String key : keys) {
            State state = states.get(key);
            long wait = state == null ? 0 : Math.max(state.down() ? downMillis : 0, state.ejectedUntil() - now);
            soonest = Math.min(soonest, wait);
        }
        return soonest == Long.MAX_VALUE ? downMillis : Math.max(0, soonest);
    }

    /** Instances of {@code upstream} out of rotation right now. */
    public long outOfRotation(String upstream) {
        long now = clock.getAsLong();
        return states.entrySet().stream()
                .filter(e -> e.getKey().startsWith(upstream + "@") && !e.getValue().inRotation(now)).count();
    }

    /** Whether instances of {@code upstream} are known and none is in rotation: what the breaker gauge shows. */
    public boolean noneInRotation(String upstream) {
        long now = clock.getAsLong();
        List<State> known = states.entrySet().stream().filter(e -> e.getKey().startsWith(upstream + "@"))
                .map(Map.Entry::getValue).toList();
        return !known.isEmpty() && known.stream().noneMatch(state -> state.inRotation(now));
    }

    public Map<String, State> snapshot() {
        return new TreeMap<>(states);
    }
}
