package dev.meridian.gateway.pipeline;

import io.micrometer.core.instrument.config.MeterFilter;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * Quarkus' own per-request server timer ({@code http_server_requests}) is tagged with the method and path as a client
 * sends them, invented ones too, so a stranger could add series at will: the gateway drops it, and its
 * {@code meridian.gateway.requests}, tagged from closed sets ({@link RequestRecorder}), takes its place. The server's
 * other meters (open connections, bytes) stay.
 */
public class ServerTimerFilter {

    @Produces
    @Singleton
    MeterFilter withoutClientTaggedServerTimer() {
        return MeterFilter.denyNameStartsWith("http.server.requests");
    }
}
