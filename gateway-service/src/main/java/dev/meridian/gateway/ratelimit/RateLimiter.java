package dev.meridian.gateway.ratelimit;

import dev.meridian.gateway.auth.EdgeTokenVerifier;
import dev.meridian.gateway.config.GatewayConfig;
import dev.meridian.revocation.TokenRevocation;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.StartupEvent;
import dev.meridian.gateway.redis.RedisPipeline;
import io.smallrye.mutiny.Uni;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Distributed GCRA rate limiting in Redis: all limits of a policy (e.g. per second and per day) are checked and
 * consumed in one atomic script call (EVALSHA), on Redis' clock, so any number of gateway instances share one exact
 * budget per user or client IP.
 */
@Singleton
public class RateLimiter {

    public record Limit(String name, double rate, long windowSeconds, int burst, long emissionMicros, long toleranceMicros) {
    }

    /** {@code header}: its {@code RateLimit-Policy} (IETF draft), e.g. "20;w=1;burst=40, 10000;w=86400". */
    public record Policy(String name, List<Limit> limits, String header) {
        public Policy(String name, List<Limit> limits) {
            this(name, limits, header(limits));
        }

        private static String header(List<Limit> limits) {
            StringJoiner joiner = new StringJoiner(", ");
            for (Limit limit : limits) {
                String quota = limit.rate() == Math.rint(limit.rate()) ? Long.toString((long) limit.rate())
                        : Double.toString(limit.rate());
                joiner.add(quota + ";w=" + limit.windowSeconds() + ";burst=" + limit.burst());
            }
            return joiner.toString();
        }
    }

    /** {@code revoked}: the deny-list revokes the token (checked only when asked); nothing was spent then. */
    public record Decision(boolean allowed, boolean revoked, long retryAfterMicros, long remaining, long resetMicros,
                           Limit tightest, Policy policy) {
    }

    private final ReactiveRedisDataSource redis;
    private final RedisPipeline pipeline;
    private final Map<String, Policy> policies = new LinkedHashMap<>();
    private final String script;
    private volatile String sha;

    public RateLimiter(ReactiveRedisDataSource redis, RedisPipeline pipeline, GatewayConfig config) {
        this.redis = redis;
        this.pipeline = pipeline;
        config.rateLimits().policies().forEach((name, policy) -> policies.put(name, toPolicy(name, policy)));
        try (InputStream in = RateLimiter.class.getResourceAsStream("gcra.lua")) {
            this.script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Policy toPolicy(String name, GatewayConfig.Policy policy) {
        List<Limit> limits = new ArrayList<>();
        policy.limits().forEach((limitName, limit) -> {
            if (limit.rate() <= 0 || limit.window().isZero() || limit.window().isNegative()) {
                throw new IllegalStateException("rate limit " + name + "." + limitName + " needs a positive rate and window");
            }
            int burst = limit.burst().orElse((int) Math.ceil(limit.rate()));
            long emission = Math.round(limit.window().toNanos() / 1000.0 / limit.rate());
            limits.add(new Limit(limitName, limit.rate(), limit.window().toSeconds(), burst, emission,
                    emission * (Math.max(burst, 1) - 1L)));
        });
        return new Policy(name, List.copyOf(limits));
    }

    public Policy policy(String name) {
        Policy policy = policies.get(name);
        if (policy == null) {
            throw new IllegalStateException("no rate-limit policy '" + name + "' configured");
        }
        return policy;
    }

    public boolean hasPolicy(String name) {
        return policies.containsKey(name);
    }

    /**
     * Checks and, when allowed, consumes one request for {@code subject} (e.g. {@code user:<id>}, {@code ip:<addr>}).
     * With {@code revocable}, its deny-list entries are checked in the same call: one Redis round trip per request.
     */
    public Uni<Decision> acquire(Policy policy, String subject, EdgeTokenVerifier.Identity revocable) {
        List<String> keys = new ArrayList<>();
        List<String> argv = new ArrayList<>();
        List<Limit> limits = policy.limits();
        for (Limit limit : limits) {
            keys.add(key(policy, limit, subject));
            argv.add(Long.toString(limit.emissionMicros()));
            argv.add(Long.toString(limit.toleranceMicros()));
        }
        if (revocable != null) {
            keys.addAll(revocable.revocationKeys());
            argv.add(Long.toString(revocable.issuedAt()));
        }
        List<String> args = new ArrayList<>();
        args.add(Integer.toString(keys.size()));
        args.addAll(keys);
        args.addAll(argv);
        return evaluate(args).map(reply -> new Decision(reply.get(0).toLong() == 1, reply.get(0).toLong() == -1,
                reply.get(1).toLong(), reply.get(2).toLong(), reply.get(3).toLong(),
                limits.get(reply.get(4).toInteger() - 1), policy));
    }

    /**
     * {@code meridian:rl:<policy>:<limit>:<kind>:{<id>}}: the subject's id is the key's hash tag, the same as on the
     * user's deny-list entries ({@link TokenRevocation#hashTag}), so on Redis Cluster the one script call that checks
     * both touches one slot.
     */
    static String key(Policy policy, Limit limit, String subject) {
        int kind = subject.indexOf(':') + 1;
        return "meridian:rl:" + policy.name() + ":" + limit.name() + ":" + subject.substring(0, kind)
                + TokenRevocation.hashTag(subject.substring(kind));
    }

    /** Where a subject stands on one limit, without spending anything. */
    public record LimitState(String limit, double rate, long windowSeconds, int burst, long remaining, long resetMicros) {
    }

    /** The state of every limit of {@code policy} for {@code subject}, on Redis' clock (for the admin API). */
    public Uni<List<LimitState>> peek(Policy policy, String subject) {
        List<String> keys = policy.limits().stream()
                .map(limit -> key(policy, limit, subject)).toList();
        return redis.execute("TIME").flatMap(time -> {
            long now = time.get(0).toLong() * 1_000_000 + time.get(1).toLong();
            return redis.value(String.class).mget(keys.toArray(String[]::new)).map(stored -> {
                List<LimitState> states = new ArrayList<>();
                for (int i = 0; i < keys.size(); i++) {
                    Limit limit = policy.limits().get(i);
                    String value = stored.get(keys.get(i));
                    long tat = Math.max(now, value == null ? now : (long) Double.parseDouble(value));
                    // as gcra.lua: a request is admitted while tat - now <= tolerance
                    long remaining = Math.max(0, Math.min(limit.burst(),
                            Math.floorDiv(now + limit.toleranceMicros() - tat, limit.emissionMicros()) + 1));
                    states.add(new LimitState(limit.name(), limit.rate(), limit.windowSeconds(), limit.burst(),
                            remaining, tat - now));
                }
                return states;
            });
        });
    }

    public Map<String, Policy> policies() {
        return Map.copyOf(policies);
    }

    private Uni<Response> evaluate(List<String> keysAndArgs) {
        String loaded = sha;
        if (loaded == null) {
            return load().flatMap(ignored -> evaluate(keysAndArgs));
        }
        Request call = Request.cmd(Command.EVALSHA).arg(loaded);
        keysAndArgs.forEach(call::arg);
        return pipeline.send(call)
                .onFailure(e -> e.getMessage() != null && e.getMessage().startsWith("NOSCRIPT"))
                .recoverWithUni(() -> load().flatMap(ignored -> evaluate(keysAndArgs)));
    }

    /** Loads the script before the first request. */
    void onStart(@Observes StartupEvent event) {
        load().subscribe().with(ok -> { }, e -> { }); // Redis down at start: the first call loads it
    }

    private Uni<Void> load() {
        return pipeline.send(Request.cmd(Command.SCRIPT).arg("LOAD").arg(script))
                .invoke(reply -> sha = reply.toString()).replaceWithVoid();
    }
}
