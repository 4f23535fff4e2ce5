package dev.meridian.gateway.redis;

import dev.meridian.gateway.config.GatewayConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Redis calls of the request path (rate limits, deny-list, cache reads). Each event loop sends over one
 * connection of its own, pipelined: a burst of requests writes its commands at once instead of queueing for a
 * pooled connection per command (at most {@code quarkus.redis.max-waiting-handlers} in flight per connection).
 * <p>
 * A call waits for its answer while {@link RedisHealth} says Redis answers, up to the longest wait; it fails at once
 * when Redis is unhealthy, and as soon as Redis turns unhealthy while it waits, so the caller's fallback decides
 * within a probe interval or two of an outage and a busy gateway's slow replies never count as one.
 */
public class RedisPipeline {

    /** Redis is unhealthy, or did not answer within the longest wait. */
    public static final class RedisUnavailable extends RuntimeException {
        RedisUnavailable(String message) {
            super(message, null, false, false);
        }
    }

    private static final Object NO_EVENT_LOOP = new Object();

    private final Redis redis;
    private final RedisHealth health;
    private final long checkMillis;
    private final long maxWaitNanos;
    private final Map<Object, Future<RedisConnection>> connections = new ConcurrentHashMap<>();

    public RedisPipeline(Redis redis, RedisHealth health, GatewayConfig config) {
        this.redis = redis;
        this.health = health;
        this.checkMillis = Math.max(1, config.redis().probeInterval().toMillis());
        this.maxWaitNanos = config.redis().maxWait().toNanos();
    }

    public Uni<Response> send(Request request) {
        if (!health.healthy()) {
            return Uni.createFrom().failure(new RedisUnavailable("Redis is unhealthy"));
        }
        return Uni.createFrom().emitter(emitter -> {
            ContextInternal context = (ContextInternal) Vertx.currentContext();
            connection(context).compose(connection -> connection.send(request))
                    .onComplete(reply -> {
                        if (reply.succeeded()) {
                            emitter.complete(reply.result());
                        } else {
                            emitter.fail(reply.cause());
                        }
                    });
            if (context == null) {
                return; // not on a request's event loop (start-up): the client's own timeout applies
            }
            // on the caller's context, so whatever follows a missed answer runs there, under the request's trace
            Vertx vertx = context.owner();
            long started = System.nanoTime();
            long[] timer = new long[1];
            timer[0] = vertx.setTimer(checkMillis, new Handler<>() {
                @Override
                public void handle(Long id) {
                    if (!health.healthy()) {
                        emitter.fail(new RedisUnavailable("Redis turned unhealthy"));
                    } else if (System.nanoTime() - started >= maxWaitNanos) {
                        emitter.fail(new RedisUnavailable("no answer from Redis within "
                                + maxWaitNanos / 1_000_000 + " ms"));
                    } else {
                        timer[0] = vertx.setTimer(checkMillis, this);
                    }
                }
            });
            emitter.onTermination(() -> vertx.cancelTimer(timer[0]));
        });
    }

    /** This event loop's connection, opened on its first use and again after it fails. */
    private Future<RedisConnection> connection(ContextInternal context) {
        Object loop = context == null ? NO_EVENT_LOOP : context.nettyEventLoop();
        Future<RedisConnection> held = connections.get(loop);
        if (held != null && !held.failed()) {
            return held;
        }
        Promise<RedisConnection> opened = Promise.promise();
        Future<RedisConnection> connection = opened.future();
        connections.put(loop, connection);
        Runnable open = () -> redis.connect().onComplete(result -> {
            if (result.succeeded()) {
                RedisConnection leased = result.result();
                leased.exceptionHandler(e -> forget(loop, connection, leased));
                leased.endHandler(v -> forget(loop, connection, leased));
            }
            opened.handle(result);
        });
        if (context == null) {
            open.run();
        } else {
            // on the event loop's own context: a request's context would lend the connection its trace
            context.unwrap().runOnContext(v -> open.run());
        }
        return connection;
    }

    private void forget(Object loop, Future<RedisConnection> connection, RedisConnection leased) {
        if (connections.remove(loop, connection)) {
            leased.close();
        }
    }
}
