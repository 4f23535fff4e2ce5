package dev.meridian.gateway.upstream;

import dev.meridian.gateway.config.GatewayConfig;
import dev.meridian.gateway.pipeline.Refusal;
import dev.meridian.gateway.pipeline.RouteTable;
import io.smallrye.stork.api.NoServiceInstanceFoundException;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;

class UpstreamRefusalTest {

    private static final RouteTable.Route ROUTE = new RouteTable.Route("models", "/v1/models", false, List.of(),
            "inference", GatewayConfig.Auth.AUTHENTICATED, Duration.ofMillis(1500), true, Optional.empty(),
            Optional.empty(), 2, false, false, List.of(), true);

    private static String answer(Throwable failure) {
        Refusal refusal = UpstreamProxy.refusal(failure, ROUTE);
        return refusal.status + " " + refusal.slug + " retry-after=" + refusal.retryAfter + ": " + refusal.getMessage();
    }

    @Test
    void noInstanceInRotationPausesClientsUntilTheFirstReturns() {
        assertEquals("503 upstream-circuit-open retry-after=5: every instance of inference is failing or not ready; "
                + "retry in 5 s", answer(new UpstreamProxy.NoInstanceInRotation(5)));
    }

    @Test
    void aTimeoutIs504AndNamesTheDeadline() {
        assertEquals("504 upstream-timeout retry-after=0: inference did not answer within 1500 ms",
                answer(new TimeoutException()));
        assertEquals("504 upstream-timeout retry-after=0: inference did not answer within 1500 ms",
                answer(new IllegalStateException("The timeout period of 1500ms has been exceeded")));
    }

    @Test
    void noReachableInstanceIs503AndAnyOtherFailure502() {
        assertEquals("503 upstream-unavailable retry-after=1: no instance of inference is reachable",
                answer(new ConnectException("refused")));
        assertEquals("503 upstream-unavailable retry-after=1: no instance of inference is reachable",
                answer(new NoServiceInstanceFoundException("none")));
        assertEquals("502 upstream-unavailable retry-after=1: inference failed to answer",
                answer(new IllegalStateException("connection reset")));
    }
}
