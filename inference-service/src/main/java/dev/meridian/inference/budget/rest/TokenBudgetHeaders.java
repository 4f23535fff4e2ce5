package dev.meridian.inference.budget.rest;

import dev.meridian.inference.budget.service.TokenBudgetService;
import io.smallrye.common.vertx.ContextLocals;
import jakarta.ws.rs.container.ContainerResponseContext;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

import java.util.Locale;
import java.util.Optional;

/**
 * OpenAI's token rate-limit headers on every answer that was charged to a budget: {@code x-ratelimit-limit-tokens},
 * {@code x-ratelimit-remaining-tokens} and {@code x-ratelimit-reset-tokens} (time until the budget is full again, as
 * OpenAI writes it: {@code 6m0s}, {@code 1.5s}, {@code 20ms}). The charge rides on the request's Vert.x context.
 */
public class TokenBudgetHeaders {

    static final String CHARGE = "meridian.token-charge";

    /** Remembers the request's charge for its answer's headers (no-op off a request). */
    public static void remember(TokenBudgetService.Charge charge) {
        if (charge != null && io.vertx.core.Vertx.currentContext() != null) {
            try {
                ContextLocals.put(CHARGE, charge);
            } catch (UnsupportedOperationException e) {
                // not a request's (duplicated) context: nobody to tell
            }
        }
    }

    @ServerResponseFilter
    public void addHeaders(ContainerResponseContext response) {
        Optional<TokenBudgetService.Charge> charge;
        try {
            charge = ContextLocals.get(CHARGE);
        } catch (UnsupportedOperationException e) {
            return;
        }
        charge.ifPresent(c -> {
            response.getHeaders().putSingle("x-ratelimit-limit-tokens", Long.toString(c.limit()));
            response.getHeaders().putSingle("x-ratelimit-remaining-tokens", Long.toString(c.remaining()));
            response.getHeaders().putSingle("x-ratelimit-reset-tokens", duration(c.resetMicros()));
        });
    }

    /** Go-style durations, as OpenAI's headers carry them. */
    static String duration(long micros) {
        if (micros < 1_000_000) {
            return Math.max(0, micros / 1000) + "ms";
        }
        long minutes = micros / 60_000_000;
        double seconds = (micros % 60_000_000) / 1e6;
        String s = seconds == Math.rint(seconds) ? Long.toString((long) seconds) : String.format(Locale.ROOT, "%.1f", seconds);
        return minutes > 0 ? minutes + "m" + s + "s" : s + "s";
    }
}
