package dev.meridian.gateway.redis;

import io.smallrye.mutiny.TimeoutException;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

import java.time.Duration;

/**
 * A time limit for a Redis call that expires on the caller's Vert.x context. Mutiny's {@code ifNoItem().after()}
 * fails on its own timer thread, so a request that goes on without Redis (fail-open, local limiter, cache miss)
 * would proxy from that thread, under the wrong trace context; a Vert.x timer fires on the request's event loop.
 */
public final class EventLoopDeadline {

    private EventLoopDeadline() {
    }

    /** {@code call}, failing with a {@link TimeoutException} when it has not answered within {@code limit}. */
    public static <T> Uni<T> within(Duration limit, Uni<T> call) {
        return Uni.createFrom().emitter(emitter -> {
            Context context = Vertx.currentContext();
            if (context == null) {
                call.ifNoItem().after(limit).fail().subscribe().with(emitter::complete, emitter::fail);
                return;
            }
            Vertx vertx = context.owner();
            // the emitter ignores whatever comes second, the answer or the timer
            long timer = vertx.setTimer(Math.max(1, limit.toMillis()), id -> emitter.fail(new TimeoutException()));
            emitter.onTermination(() -> vertx.cancelTimer(timer));
            call.subscribe().with(emitter::complete, emitter::fail);
        });
    }
}
