package dev.meridian.gateway.pipeline;

import io.smallrye.mutiny.Uni;

/**
 * One concern of the gateway pipeline. A step completes to hand the exchange to the next one, or fails with a
 * {@link Refusal} to answer the client instead; the last step answers the client itself.
 */
public interface Step {

    /** What a step that needs no I/O returns to go on: the pipeline then moves to the next step without subscribing. */
    Uni<Void> NEXT = Uni.createFrom().voidItem();

    Uni<Void> apply(Exchange exchange);

    /** The name of the span the step runs in, so its Redis and HTTP calls show under it; null for no span. */
    default String spanName() {
        return null;
    }
}
