package dev.meridian.gateway;

import dev.meridian.revocation.TokenRevocation;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static dev.meridian.gateway.TestTokens.claims;
import static dev.meridian.gateway.TestTokens.sign;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A WebSocket is held to the same policies as requests for as long as it lives: every message counts against the
 * caller's limit, a revoked caller or an expired token closes it (1008), and a client that never reads cannot make
 * the gateway buffer what the upstream sends.
 */
@QuarkusTest
class WebSocketPolicyTest {

    @TestHTTPResource("/")
    URL gateway;

    @Inject
    RedisDataSource redis;

    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    /** Connects to /v1/stream; every text message it receives lands in {@code received}, its close code in {@code closed}. */
    private WebSocket connect(String token, BlockingQueue<String> received, CompletableFuture<Short> closed)
            throws Exception {
        return vertx.createWebSocketClient().connect(new WebSocketConnectOptions().setHost(gateway.getHost())
                        .setPort(gateway.getPort()).setURI("/v1/stream")
                        .addHeader("Authorization", "Bearer " + token))
                .onSuccess(ws -> {
                    ws.textMessageHandler(received::add);
                    ws.closeHandler(v -> closed.complete(ws.closeStatusCode()));
                })
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void messagesAtTenTimesTheTiersRateAreLimited() throws Exception {
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        WebSocket ws = connect(sign(claims(UUID.randomUUID().toString())), received, new CompletableFuture<>());
        assertTrue(received.poll(10, TimeUnit.SECONDS).startsWith("user:"));
        // the free tier allows 20/s with a burst of 40: 400 messages at 200/s
        int sent = 400;
        long start = System.nanoTime();
        CompletableFuture<Void> allSent = new CompletableFuture<>();
        int[] next = {0};
        vertx.setPeriodic(5, id -> {
            ws.writeTextMessage(new JsonObject().put("id", "m" + next[0]).put("input", "hello").encode());
            if (++next[0] == sent) {
                vertx.cancelTimer(id);
                allSent.complete(null);
            }
        });
        allSent.get(30, TimeUnit.SECONDS);
        double elapsed = (System.nanoTime() - start) / 1e9;
        int echoed = 0;
        int limited = 0;
        for (int i = 0; i < sent; i++) {
            String message = received.poll(10, TimeUnit.SECONDS);
            assertNotNull(message, "only " + i + " of " + sent + " messages were answered");
            if (message.startsWith("echo:")) {
                echoed++;
            } else {
                JsonObject error = new JsonObject(message);
                assertTrue(error.getString("id").startsWith("m"), message);
                assertEquals("rate_limit_exceeded", error.getJsonObject("error").getString("code"), message);
                limited++;
            }
        }
        // the upgrade itself spent one request
        assertTrue(echoed >= 39 && echoed <= 39 + 20 * elapsed + 1, echoed + " relayed in " + elapsed + " s");
        assertEquals(sent, echoed + limited);
    }

    @Test
    void aUserDisabledMidStreamIsCutWithinFiveSeconds() throws Exception {
        String user = UUID.randomUUID().toString();
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        CompletableFuture<Short> closed = new CompletableFuture<>();
        WebSocket ws = connect(sign(claims(user).issuedAt(Instant.now().minusSeconds(5))), received, closed);
        assertTrue(received.poll(10, TimeUnit.SECONDS).startsWith("user:"));
        ws.writeTextMessage("{\"id\":\"before\"}");
        assertEquals("echo:{\"id\":\"before\"}", received.poll(10, TimeUnit.SECONDS));
        // what user-service writes when an admin disables the account; the client then sends nothing more
        long revoked = System.nanoTime();
        redis.value(String.class).setex(TokenRevocation.userKey(user), 60, Long.toString(Instant.now().getEpochSecond()));
        short code = closed.get(10, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - revoked) / 1e9;
        assertEquals(1008, code);
        assertTrue(seconds <= 5, "cut after " + seconds + " s");
    }

    @Test
    void aSocketClosesWhenItsTokenExpires() throws Exception {
        Instant expiry = Instant.now().plusSeconds(3);
        CompletableFuture<Short> closed = new CompletableFuture<>();
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        connect(sign(claims(UUID.randomUUID().toString()).expiresAt(expiry)), received, closed);
        assertTrue(received.poll(10, TimeUnit.SECONDS).startsWith("user:"));
        short code = closed.get(15, TimeUnit.SECONDS);
        long lateMillis = Instant.now().toEpochMilli() - expiry.getEpochSecond() * 1000;
        assertEquals(1008, code);
        assertTrue(lateMillis >= -1000 && lateMillis <= 5000, "closed " + lateMillis + " ms after expiry");
    }

    /**
     * The client reads nothing while the upstream offers 256 MiB: the gateway stops reading from the upstream once
     * the client's side is full, so what the upstream could hand over stays at the connections' buffers.
     */
    @Test
    void aClientThatNeverReadsKeepsTheGatewaysBuffersBounded() throws Exception {
        EchoUpstreamResource.floodWritten.set(0);
        try (Socket socket = new Socket(gateway.getHost(), gateway.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("GET /v1/stream/flood HTTP/1.1\r\nHost: " + gateway.getHost() + "\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer "
                    + sign(claims(UUID.randomUUID().toString())) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                assertTrue(b >= 0, "connection closed during the handshake: " + head);
                head.append((char) b);
            }
            assertTrue(head.toString().startsWith("HTTP/1.1 101"), head.toString());
            // from here on nothing is read: wait until the upstream's writes stop being taken
            long taken = waitUntilSteady();
            assertTrue(taken < 64L * 1024 * 1024, (taken >> 20) + " MiB of the upstream's data taken by the gateway");
        }
    }

    /** The flood's accepted bytes once they stopped growing for a second (or reached everything). */
    private static long waitUntilSteady() throws InterruptedException {
        long last = -1;
        int steadyTicks = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (steadyTicks < 10 && System.nanoTime() < deadline) {
            long now = EchoUpstreamResource.floodWritten.get();
            if (now >= EchoUpstreamResource.FLOOD_BYTES) {
                return now;
            }
            steadyTicks = now == last && now > 0 ? steadyTicks + 1 : 0;
            last = now;
            Thread.sleep(100);
        }
        return last;
    }
}
