package dev.meridian.deadline;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

import java.util.concurrent.Executor;
import java.util.function.Supplier;

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

    /** Blocking work (DNS, files, a large tokenization) on a worker thread, its outcome back on the caller's context. */
    public static <T> Uni<T> onWorker(Supplier<T> work) {
        Executor back = current();
        return Uni.createFrom().item(work).runSubscriptionOn(Infrastructure.getDefaultWorkerPool()).emitOn(back);
    }
}
