package dev.meridian.denylist;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.RedisConnection;
import io.vertx.mutiny.redis.client.Request;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether the state Redis is answering, from a PING every 50 ms on a connection of its own (so a burst queued in the
 * request pool never looks like an outage). Reads wait for Redis as long as it answers these pings, up to their
 * longest wait, and give up about 0.55 s after Redis went silent (the moment its oldest unanswered ping turns 0.5 s
 * old): a cold burst of requests is not mistaken for an outage (and let through unchecked), while a frozen Redis still
 * costs a request at most a little over half a second.
 */
@ApplicationScoped
public class StateRedisHealth {

    private static final long PING_EVERY_MS = 50;
    /** Long enough that our own busy event loops (late timers, late answers) are not taken for a silent Redis. */
    private static final long SILENT_AFTER_NANOS = Duration.ofMillis(500).toNanos();
    private static final Duration STEP = Duration.ofMillis(100);

    private final Redis redis;
    private final Vertx vertx;
    private final AtomicBoolean pinging = new AtomicBoolean();
    private volatile RedisConnection connection;
    /** When the oldest unanswered ping was sent; 0 while the last one was answered. */
    private volatile long unansweredSince;
    private long timer = -1;

    public StateRedisHealth(ReactiveRedisDataSource redis, Vertx vertx) {
        this.redis = redis.getRedis();
        this.vertx = vertx;
    }

    void start(@Observes StartupEvent event) {
        timer = vertx.setPeriodic(PING_EVERY_MS, id -> ping());
    }

    void stop(@Observes ShutdownEvent event) {
        vertx.cancelTimer(timer);
        RedisConnection open = connection;
        if (open != null) {
            open.closeAndForget();
        }
    }

    /** False once a ping has waited 0.5 s for its answer, until one is answered. */
    public boolean answering() {
        long since = unansweredSince;
        return since == 0 || System.nanoTime() - since < SILENT_AFTER_NANOS;
    }

    /**
     * The read, or a {@link TimeoutException} once Redis stops answering its pings or {@code longest} passed. A read
     * that fails (connection refused) fails at once.
     */
    public <T> Uni<T> whileAnswering(Uni<T> read, Duration longest) {
        if (!answering()) {
            return Uni.createFrom().failure(new TimeoutException("the state Redis does not answer"));
        }
        Uni<T> shared = read.memoize().indefinitely();
        return step(shared, System.nanoTime() + longest.toNanos());
    }

    private <T> Uni<T> step(Uni<T> shared, long until) {
        return shared.ifNoItem().after(nextLook()).recoverWithUni(() -> answering() && System.nanoTime() < until
                ? step(shared, until)
                : Uni.createFrom().failure(new TimeoutException("the state Redis did not answer in time")));
    }

    /** Until the unanswered ping makes Redis silent, so a waiting read gives up then and not up to a step later. */
    private Duration nextLook() {
        long since = unansweredSince;
        if (since == 0) {
            return STEP;
        }
        long left = SILENT_AFTER_NANOS - (System.nanoTime() - since);
        return Duration.ofNanos(Math.max(Duration.ofMillis(1).toNanos(), Math.min(left, STEP.toNanos())));
    }

    private void ping() {
        if (!pinging.compareAndSet(false, true)) {
            return; // the last ping is still out: answering() tells from its age whether Redis is silent
        }
        if (unansweredSince == 0) {
            unansweredSince = System.nanoTime(); // a ping that failed leaves its time: only an answer clears it
        }
        RedisConnection open = connection;
        Uni<RedisConnection> ready = open != null ? Uni.createFrom().item(open)
                : redis.connect().invoke(opened -> connection = opened);
        ready.flatMap(c -> c.send(Request.cmd(Command.PING)))
                .ifNoItem().after(Duration.ofSeconds(2)).fail()
                .subscribe().with(answer -> {
                    unansweredSince = 0;
                    pinging.set(false);
                }, failure -> {
                    RedisConnection broken = connection;
                    connection = null;
                    if (broken != null) {
                        broken.closeAndForget();
                    }
                    pinging.set(false);
                });
    }
}
