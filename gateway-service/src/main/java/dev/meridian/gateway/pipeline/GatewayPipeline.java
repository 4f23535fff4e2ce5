package dev.meridian.gateway.pipeline;

import dev.meridian.gateway.auth.AuthenticationStep;
import dev.meridian.gateway.auth.IdentityHeadersStep;
import dev.meridian.gateway.ratelimit.RateLimitStep;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.List;

/**
 * The gateway: every request it takes runs these steps in this order. Registered after Quarkus' own endpoints
 * (/q/health, /q/metrics, /q/openapi), which the gateway serves itself.
 */
@ApplicationScoped
public class GatewayPipeline {

    private final List<Step> steps;
    private final RequestRecorder recorder;
    private final Tracer tracer;
    private final ClientAddresses clients;

    public GatewayPipeline(RouteStep route, AuthenticationStep authentication, RateLimitStep rateLimit,
                           IdentityHeadersStep identityHeaders, ForwardStep forward, RequestRecorder recorder,
                           OpenTelemetry openTelemetry, ClientAddresses clients) {
        this.steps = List.of(route, authentication, rateLimit, identityHeaders, forward);
        this.recorder = recorder;
        this.clients = clients;
        // the tracer itself, not a CDI proxy in front of it on every step of every request
        this.tracer = openTelemetry.getTracer("dev.meridian.gateway");
    }

    void register(@Observes Router router) {
        router.route().order(Integer.MAX_VALUE - 1).handler(this::handle);
    }

    void handle(RoutingContext ctx) {
        if (ctx.normalizedPath().startsWith("/q/")) {
            ctx.next();
            return;
        }
        // the body waits until a step decides what becomes of it (streamed, buffered or drained)
        ctx.request().pause();
        String requestId = RequestIds.choose(ctx.request().getHeader(RequestIds.HEADER));
        ctx.response().putHeader(RequestIds.HEADER, requestId);
        if (ctx.request().isSSL()) {
            // only over TLS (quarkus.http.ssl.*): browsers ignore it on plain HTTP and it would lock out dev setups
            ctx.response().putHeader("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
        }
        ClientAddresses.Client client = clients.client(ctx.request());
        Exchange exchange = new Exchange(ctx, requestId, client.address(), client.viaTrustedProxy());
        recorder.track(exchange);
        run(exchange, 0);
    }

    private void run(Exchange exchange, int from) {
        // a trace that is not kept gets no step spans: making each current costs more than the step itself
        // (Quarkus copies the ids into the logging context on every attach and detach)
        boolean traced = Span.current().getSpanContext().isSampled();
        for (int index = from; index < steps.size(); index++) {
            Step step = steps.get(index);
            String spanName = traced ? step.spanName() : null;
            // a step's span is current until the step ends (steps run one after the other)
            Span span = spanName == null ? null : tracer.spanBuilder(spanName).startSpan();
            Scope scope = span == null ? null : span.makeCurrent();
            Uni<Void> result = step.apply(exchange);
            if (result == Step.NEXT) {
                // done without I/O: no subscription, on to the next step
                end(span, scope, null);
                continue;
            }
            int next = index + 1;
            result.subscribe().with(ignored -> {
                end(span, scope, null);
                run(exchange, next);
            }, failure -> {
                end(span, scope, failure);
                Problems.refuse(exchange.ctx(), failure);
            });
            return;
        }
    }

    private static void end(Span span, Scope scope, Throwable failure) {
        if (span == null) {
            return;
        }
        scope.close();
        if (failure != null) {
            span.setAttribute("meridian.refused", String.valueOf(failure.getMessage()));
        }
        span.end();
    }
}
