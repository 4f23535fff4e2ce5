package dev.meridian.deadline;

import io.vertx.core.Context;
import io.vertx.core.Vertx;

import java.util.concurrent.Executor;

/**
 * Runs an outcome on the Vert.x context of the caller that asked for it. A deadline fires on Mutiny's timer thread and
 * a model or Redis answer arrives on another thread; Hibernate Reactive, request-scoped state and the HTTP response
 * must continue on the request's own context.
 */
public final class CallerContext {

    private CallerContext() {
    }

    /** An executor for the current context (direct when there is none, or when already on it). */
    public static Executor current() {
        Context context = Vertx.currentContext();
        if (context == null) {
            return Runnable::run;
        }
        return task -> {
            if (Vertx.currentContext() == context) {
                task.run();
            } else {
                context.runOnContext(ignored -> task.run());
            }
        };
    }
}
