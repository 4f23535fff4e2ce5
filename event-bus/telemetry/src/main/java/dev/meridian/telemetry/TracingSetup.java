package dev.meridian.telemetry;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.zipkin.ZipkinSpanExporter;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;
import io.quarkus.arc.Unremovable;
import io.quarkus.arc.lookup.LookupIfProperty;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.List;

/**
 * Where spans go and which traces are kept. Tracing is on with MERIDIAN_OTEL_DISABLED=false. With
 * MERIDIAN_TRACING_EXPORTER=zipkin (what ./platform up sets) spans go to the Zipkin server at
 * MERIDIAN_ZIPKIN_ENDPOINT; otherwise Quarkus' OTLP exporter sends them to quarkus.otel.exporter.otlp.traces.endpoint
 * (Jaeger, Tempo, a collector). A Zipkin exporter bean switches the OTLP one off, so only one of them ever runs.
 * Every service gets it, and the defaults of these settings (META-INF/microprofile-config.properties), from this
 * module.
 */
@ApplicationScoped
public class TracingSetup {

    @Produces
    @Singleton
    @Unremovable
    @LookupIfProperty(name = "meridian.tracing.exporter", stringValue = "zipkin")
    SpanExporter zipkin(@ConfigProperty(name = "meridian.tracing.zipkin.endpoint") String endpoint) {
        return ZipkinSpanExporter.builder().setEndpoint(endpoint).build();
    }

    /**
     * Keeps MERIDIAN_TRACE_SAMPLE_RATIO of new traces and follows the caller's decision inside one. A client call
     * with no parent (a poller's SQL, a background Redis or HTTP call) never starts a trace: those would bury the
     * request traces under thousands of one-span ones.
     */
    @Produces
    @Singleton
    Sampler sampler(@ConfigProperty(name = "meridian.tracing.sample-ratio") double ratio) {
        Sampler byRatio = Sampler.traceIdRatioBased(ratio);
        return Sampler.parentBased(new Sampler() {
            @Override
            public SamplingResult shouldSample(Context parent, String traceId, String name, SpanKind kind,
                                               Attributes attributes, List<LinkData> links) {
                return kind == SpanKind.CLIENT ? SamplingResult.drop()
                        : byRatio.shouldSample(parent, traceId, name, kind, attributes, links);
            }

            @Override
            public String getDescription() {
                return "NoRootClientSpans{" + byRatio.getDescription() + "}";
            }
        });
    }
}
