package dev.meridian.deadline;

import io.smallrye.mutiny.Uni;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

/** A bounded wait on a dependency. */
public final class Deadline {

    private Deadline() {
    }

    /**
     * The work, or a {@link TimeoutException} naming what did not answer once the limit passed; either outcome on the
     * Vert.x context that subscribed.
     */
    public static <T> Uni<T> within(Uni<T> work, Duration limit, String what) {
        return Uni.createFrom().deferred(() -> work
                .ifNoItem().after(limit).failWith(() -> new TimeoutException(what + " did not answer within "
                        + limit.toMillis() + " ms"))
                .emitOn(CallerContext.current()));
    }
}
