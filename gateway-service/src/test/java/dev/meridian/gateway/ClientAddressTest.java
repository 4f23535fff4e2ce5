package dev.meridian.gateway;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whose budget a request spends: the client's address, read from the forwarding headers only when a trusted proxy
 * (the ingress; 127.0.0.2 in the tests) sent them, and on public routes always, whether or not a token came along.
 * The tests' anonymous policy is 10/s with a burst of 100.
 */
@QuarkusTest
class ClientAddressTest {

    @TestHTTPResource("/")
    URL gateway;

    @Inject
    RedisDataSource redis;

    @BeforeEach
    void freshLoopbackBudget() {
        TestLoad.forgetLoopbackBudgets(redis);
    }

    private static RequestOptions signUp(String forwardedFor) {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setURI("/v1/users")
                .putHeader("Content-Type", "application/json");
        return forwardedFor == null ? options : options.putHeader("X-Forwarded-For", forwardedFor);
    }

    @Test
    void forwardingHeadersFromAnUntrustedPeerAreIgnored() throws Exception {
        ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
        long start = System.nanoTime();
        Map<Integer, Integer> statuses;
        try (TestLoad load = new TestLoad(gateway.getPort(), 50, null)) {
            load.run(1, 1, i -> signUp("203.0.113.77").putHeader("Forwarded", "for=198.51.100.1"),
                    response -> response.body().onSuccess(body -> seen.add(body.toString())));
            // each request claims another address: from 127.0.0.1, which no one trusts, they are all one client
            statuses = load.run(200, 50, i -> signUp("203.0.113." + (i % 250)));
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        int admitted = statuses.getOrDefault(200, 0);
        assertEquals(200, admitted + statuses.getOrDefault(429, 0), "statuses: " + statuses);
        // one of the burst of 100 went to the first request
        assertTrue(admitted >= 99 && admitted <= 99 + 10 * elapsed + 1, admitted + " admitted in " + elapsed + " s");
        // and the upstream is not told the forged chain either
        JsonObject headers = new JsonObject(seen.peek()).getJsonObject("headers");
        assertEquals("127.0.0.1", headers.getString("x-forwarded-for"), headers.encode());
        assertTrue(headers.getString("forwarded", "").startsWith("for=\"127.0.0.1\""), headers.encode());
    }

    @Test
    void behindATrustedProxyEachForwardedClientHasItsOwnBudget() throws Exception {
        String suffix = Integer.toString(1 + (int) (Math.random() * 200));
        List<String> clients = List.of("198.51.100." + suffix, "198.51.101." + suffix, "198.51.102." + suffix);
        String crowded = "192.0.2." + suffix;
        ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
        Map<Integer, Integer> spread;
        Map<Integer, Integer> together;
        long start = System.nanoTime();
        try (TestLoad ingress = new TestLoad(gateway.getPort(), 50, TestLoad.TRUSTED_PROXY)) {
            // three clients behind the ingress, 60 sign-ups each, well within each one's burst of 100
            spread = ingress.run(180, 50, i -> signUp(clients.get(i % 3)));
            // one client, 180: limited at its own burst
            together = ingress.run(180, 50, i -> signUp(crowded));
            // the client wrote a chain of its own before reaching the ingress: only the hop the ingress saw counts
            ingress.run(1, 1, i -> signUp("10.9.8.7, " + clients.get(0)),
                    response -> response.body().onSuccess(body -> seen.add(body.toString())));
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        assertEquals(Map.of(200, 180), spread, "three clients behind one proxy share a budget");
        int admitted = together.getOrDefault(200, 0);
        assertTrue(admitted >= 100 && admitted <= 100 + 10 * elapsed + 1, admitted + " admitted in " + elapsed + " s");
        JsonObject headers = new JsonObject(seen.peek()).getJsonObject("headers");
        assertEquals("10.9.8.7, " + clients.get(0) + ", 127.0.0.2", headers.getString("x-forwarded-for"));
        assertTrue(headers.getString("forwarded").startsWith("for=\"" + clients.get(0) + "\""), headers.encode());
    }

    /**
     * Credential stuffing with many accounts' tokens from one address: each token adds its user's limit, none
     * replaces the address's, so ten accounts buy no more logins than none.
     */
    @Test
    void tokensOnPublicRoutesNeverWidenTheAddressLimit() throws Exception {
        List<String> tokens = IntStream.range(0, 10)
                .mapToObj(i -> TestTokens.sign(TestTokens.claims(UUID.randomUUID().toString()))).toList();
        String address = "192.0.2." + (201 + (int) (Math.random() * 50));
        long start = System.nanoTime();
        Map<Integer, Integer> statuses;
        try (TestLoad ingress = new TestLoad(gateway.getPort(), 40, TestLoad.TRUSTED_PROXY)) {
            statuses = ingress.run(200, 40, i -> new RequestOptions().setMethod(HttpMethod.POST)
                    .setURI("/v1/auth/token").putHeader("Content-Type", "application/json")
                    .putHeader("X-Forwarded-For", address)
                    .putHeader("Authorization", "Bearer " + tokens.get(i % tokens.size())));
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        // the stand-in token endpoint refuses these logins with 400, as a wrong password would be
        int attempted = statuses.getOrDefault(400, 0);
        assertEquals(200, attempted + statuses.getOrDefault(429, 0), "statuses: " + statuses);
        assertTrue(attempted <= 100 + 10 * elapsed + 1, attempted + " logins reached user-service in " + elapsed + " s");
    }
}
