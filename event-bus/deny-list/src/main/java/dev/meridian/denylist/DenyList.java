package dev.meridian.denylist;

import dev.meridian.deadline.CallerContext;
import dev.meridian.deadline.ThrottledWarning;
import dev.meridian.revocation.TokenRevocation;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.value.ReactiveValueCommands;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Whether a verified token has been revoked, read from the deny-list in the state Redis ({@link TokenRevocation})
 * within a deadline: an unreachable Redis gives {@link Verdict#UNKNOWN} at once, a silent one within about 0.6 s
 * ({@link StateRedisHealth}), a slow one that still answers after {@code meridian.deny-list.read-timeout}; never a
 * request that hangs. What UNKNOWN means is the caller's decision
 * (services let ordinary requests through on the token's signature and expiry, as the gateway does, and refuse admin
 * operations). Written once for every service that verifies tokens.
 */
@ApplicationScoped
public class DenyList {

    public enum Verdict { ALLOWED, REVOKED, UNKNOWN }

    private static final Logger LOG = Logger.getLogger(DenyList.class);

    private final ReactiveValueCommands<String, String> values;
    private final StateRedisHealth health;
    private final Duration timeout;
    private final Counter unknown;
    private final ThrottledWarning warning = new ThrottledWarning(LOG, Duration.ofSeconds(10));

    public DenyList(ReactiveRedisDataSource redis, StateRedisHealth health, DenyListConfig config,
                    MeterRegistry meters) {
        this.values = redis.value(String.class);
        this.health = health;
        this.timeout = config.readTimeout();
        this.unknown = Counter.builder("meridian.deny_list.unknown")
                .description("token checks whose deny-list read failed or missed its deadline").register(meters);
    }

    /**
     * @param apiKeyId the token's API key id ({@code akid}), or null
     * @param issuedAt the token's {@code iat}, epoch seconds
     */
    public Uni<Verdict> verdict(String userId, String apiKeyId, long issuedAt) {
        List<String> keys = new ArrayList<>(List.of(TokenRevocation.userKey(userId)));
        if (apiKeyId != null) {
            keys.add(TokenRevocation.apiKeyKey(userId, apiKeyId));
        }
        Uni<Map<String, String>> read = values.mget(keys.toArray(String[]::new));
        return health.whileAnswering(read, timeout)
                .map(found -> found.values().stream()
                        .anyMatch(value -> value != null && TokenRevocation.revokes(value, issuedAt))
                        ? Verdict.REVOKED : Verdict.ALLOWED)
                .onFailure().recoverWithItem(e -> {
                    unknown.increment();
                    warning.warn("the deny-list could not be read (%s): tokens checked by signature and expiry only",
                            e.toString());
                    return Verdict.UNKNOWN;
                })
                .emitOn(CallerContext.current());
    }
}
