package dev.meridian.inference.embedding.service;

import dev.meridian.inference.model.ModelVersion;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.Span;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * OpenTelemetry's GenAI semantic conventions for the embedding work behind every endpoint, next to Meridian's own
 * names, so GenAI-aware backends read our spans and metrics: the span of the call gets gen_ai.operation.name,
 * gen_ai.request.model, gen_ai.response.model and gen_ai.usage.input_tokens; successful calls are timed in
 * gen_ai.server.request.duration per model (a configured, bounded set).
 */
@ApplicationScoped
public class GenAiTelemetry {

    static final String OPERATION = "embeddings";
    static final String PROVIDER = "meridian";

    private final MeterRegistry meters;
    /** One timer per model id: the set of configured models bounds it; no meter lookup on the request path. */
    private final Map<String, Timer> durations = new ConcurrentHashMap<>();

    public GenAiTelemetry(MeterRegistry meters) {
        this.meters = meters;
    }

    /** Marks the caller's current span as a GenAI operation; returns it for {@link #finished}. */
    public Span started(ModelVersion model) {
        Span span = Span.current();
        span.setAttribute("gen_ai.operation.name", OPERATION);
        span.setAttribute("gen_ai.provider.name", PROVIDER);
        span.setAttribute("gen_ai.request.model", model.config().id());
        return span;
    }

    public void finished(Span span, ModelVersion model, int inputTokens, long startNanos) {
        span.setAttribute("gen_ai.response.model", model.qualifiedName());
        span.setAttribute("gen_ai.usage.input_tokens", inputTokens);
        durations.computeIfAbsent(model.config().id(), id -> Timer.builder("gen_ai.server.request.duration")
                        .description("GenAI server request duration (OpenTelemetry GenAI semantic conventions)")
                        .tag("gen_ai.operation.name", OPERATION)
                        .tag("gen_ai.provider.name", PROVIDER)
                        .tag("gen_ai.request.model", id)
                        .register(meters))
                .record(Duration.ofNanos(System.nanoTime() - startNanos));
    }
}
