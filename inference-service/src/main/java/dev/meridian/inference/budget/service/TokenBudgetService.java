package dev.meridian.inference.budget.service;

import dev.meridian.deadline.CallerContext;
import dev.meridian.deadline.ThrottledWarning;
import dev.meridian.denylist.StateRedisHealth;
import dev.meridian.inference.service.InferenceException;
import dev.meridian.revocation.TokenRevocation;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Token budgets per tier, per minute and per day, in the state Redis. A request is charged its exact prompt tokens
 * (counted by the tokenizer before any model work) in one atomic script call, so concurrent requests cannot slip past
 * together; one that then fails gets its tokens back. A charge the budget cannot take is refused with 429 in OpenAI's
 * shape. While Redis does not answer within the deadline, the same budgets are kept in this process at this
 * instance's share ({@code meridian.inference.token-budgets.instances}), counted in
 * {@code meridian_inference_token_budget_local_total}, so they hold during an outage or a burst.
 */
@ApplicationScoped
public class TokenBudgetService {

    private static final Logger LOG = Logger.getLogger(TokenBudgetService.class);
    private static final String DEFAULT_TIER = "free";

    /** What a charge left: the tightest window's limit, remaining tokens and time until it is full again. */
    public record Charge(long limit, long remaining, long resetMicros) {
    }


    private final ReactiveRedisDataSource redis;
    private final StateRedisHealth health;
    private final TokenBudgetConfig config;
    private final String script;
    private final Counter local;
    private final LocalTokenBudget fallback;
    private final ThrottledWarning warning = new ThrottledWarning(LOG, Duration.ofSeconds(10));

    public TokenBudgetService(ReactiveRedisDataSource redis, StateRedisHealth health, TokenBudgetConfig config,
                              MeterRegistry meters) {
        this.redis = redis;
        this.health = health;
        this.config = config;
        this.local = Counter.builder("meridian.inference.token_budget.local")
                .description("charges decided in this process because the budget's Redis did not answer in time")
                .register(meters);
        this.fallback = new LocalTokenBudget(config.instances());
        try (InputStream in = TokenBudgetService.class.getResourceAsStream("token-budget.lua")) {
            this.script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (config.enabled() && !config.tiers().containsKey(DEFAULT_TIER)) {
            throw new IllegalStateException("meridian.inference.token-budgets.tiers.free is required");
        }
    }

    /**
     * Charges {@code tokens} to the user's budget before the work starts: the charge, null when budgets are off or
     * could not be checked in time, or a 429 when the budget cannot take it.
     */
    public Uni<Charge> charge(String userId, String tier, long tokens) {
        if (!config.enabled() || userId == null) {
            return Uni.createFrom().nullItem();
        }
        List<LocalTokenBudget.Window> windows = windows(tier);
        LocalTokenBudget.Window minute = windows.get(0);
        if (tokens > minute.limit()) {
            return Uni.createFrom().failure(InferenceException.invalid("input", "request_too_large", "the request has "
                    + tokens + " tokens, more than your budget of " + minute.limit() + " tokens per minute; split it"));
        }
        return run(userId, windows, tokens).map(outcome -> {
            LocalTokenBudget.Window tightest = windows.get(outcome.tightest());
            if (!outcome.allowed()) {
                long retryAfter = Math.max(1, (long) Math.ceil(outcome.retryAfterMicros() / 1e6));
                throw new InferenceException(429, "tokens", "rate_limit_exceeded", null, "token budget per "
                        + tightest.name() + " reached: the request needs " + tokens + " tokens, "
                        + outcome.remaining() + " of " + tightest.limit() + " are left; retry in " + retryAfter + " s",
                        (int) Math.min(Integer.MAX_VALUE, retryAfter));
            }
            return new Charge(tightest.limit(), outcome.remaining(), outcome.resetMicros());
        });
    }

    /** Gives back what a request was charged when it failed before producing anything. */
    public Uni<Void> refund(String userId, String tier, long tokens) {
        if (!config.enabled() || userId == null || tokens <= 0) {
            return Uni.createFrom().voidItem();
        }
        return run(userId, windows(tier), -tokens).replaceWithVoid();
    }

    private List<LocalTokenBudget.Window> windows(String tier) {
        TokenBudgetConfig.Tier budget = config.tiers().getOrDefault(tier == null ? DEFAULT_TIER : tier,
                config.tiers().get(DEFAULT_TIER));
        return List.of(new LocalTokenBudget.Window("minute", budget.perMinute(), 60_000_000L),
                new LocalTokenBudget.Window("day", budget.perDay(), 86_400_000_000L));
    }

    /** The script's outcome in Redis, or this process's when Redis does not answer in time. */
    private Uni<LocalTokenBudget.Outcome> run(String userId, List<LocalTokenBudget.Window> windows, long cost) {
        List<String> args = new ArrayList<>();
        args.add(script);
        args.add(Integer.toString(windows.size()));
        for (LocalTokenBudget.Window window : windows) {
            // one hash tag per user: every key of one call in one slot, as Redis Cluster needs
            args.add("meridian:tokens:" + TokenRevocation.hashTag(userId) + ":" + window.name());
        }
        for (LocalTokenBudget.Window window : windows) {
            args.add(Double.toString((double) window.micros() / window.limit()));
            args.add(Long.toString(window.micros()));
        }
        args.add(Long.toString(cost));
        return health.whileAnswering(redis.execute("EVAL", args.toArray(String[]::new)), config.redisTimeout())
                .map(reply -> new LocalTokenBudget.Outcome(reply.get(0).toInteger() == 1, reply.get(1).toLong(),
                        reply.get(2).toLong(), reply.get(3).toLong(), reply.get(4).toInteger() - 1))
                // this service's own queue for Redis connections overflowing is overload, not an outage: refuse
                .onFailure(ConnectionPoolTooBusyException.class).transform(e ->
                        InferenceException.overloaded("too many requests are being checked against token budgets"))
                .onFailure(e -> !(e instanceof InferenceException)).recoverWithItem(e -> {
                    local.increment();
                    long now = System.nanoTime();
                    warning.warn("token budgets kept in this process: Redis did not answer in time (%s)", e.toString());
                    return fallback.charge(userId, windows, cost, now / 1000);
                })
                .emitOn(CallerContext.current());
    }
}
