package dev.meridian.gateway;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static dev.meridian.gateway.TestTokens.claims;
import static dev.meridian.gateway.TestTokens.sign;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** WebSockets and server-sent events through the gateway, as they are sent. */
@QuarkusTest
class StreamingTest {

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL gateway;

    @Test
    void webSocketsPassThroughWithTheVerifiedIdentity() throws Exception {
        String user = UUID.randomUUID().toString();
        io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
        try {
            java.util.concurrent.BlockingQueue<String> received = new java.util.concurrent.LinkedBlockingQueue<>();
            io.vertx.core.http.WebSocket ws = vertx.createWebSocketClient().connect(
                            new io.vertx.core.http.WebSocketConnectOptions().setHost(gateway.getHost())
                                    .setPort(gateway.getPort()).setURI("/v1/stream")
                                    .addHeader("Authorization", "Bearer " + sign(claims(user)))
                                    .addHeader("X-User-Id", "forged"))
                    // the handler goes on in the connect callback, before any frame can be delivered
                    .onSuccess(connected -> connected.textMessageHandler(received::add))
                    .toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
            org.junit.jupiter.api.Assertions.assertEquals("user:" + user,
                    received.poll(10, java.util.concurrent.TimeUnit.SECONDS));
            ws.writeTextMessage("hello");
            org.junit.jupiter.api.Assertions.assertEquals("echo:hello",
                    received.poll(10, java.util.concurrent.TimeUnit.SECONDS));
            ws.close();
        } finally {
            vertx.close();
        }
        // no token, no WebSocket
        given().header("Upgrade", "websocket").header("Connection", "Upgrade").header("Sec-WebSocket-Version", "13")
                .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==").get("/v1/stream").then().statusCode(401);
    }

    @Test
    void serverSentEventsStreamThroughAsTheyAreSent() throws Exception {
        java.net.http.HttpResponse<java.util.stream.Stream<String>> response = java.net.http.HttpClient.newHttpClient()
                .send(java.net.http.HttpRequest.newBuilder(gateway.toURI().resolve("/v1/jobs/events"))
                        .header("Authorization", "Bearer " + sign(claims(UUID.randomUUID().toString()))).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofLines());
        org.junit.jupiter.api.Assertions.assertEquals(200, response.statusCode());
        java.util.List<Long> arrivals = new java.util.ArrayList<>();
        java.util.List<String> events = new java.util.ArrayList<>();
        response.body().filter(line -> !line.isEmpty()).forEach(line -> {
            arrivals.add(System.nanoTime());
            events.add(line);
        });
        org.junit.jupiter.api.Assertions.assertEquals(
                java.util.List.of("data: progress 1", "data: progress 2", "data: progress 3"), events);
        // the upstream sends one event every 300 ms: a buffering proxy would deliver them all at once
        long spreadMillis = (arrivals.get(2) - arrivals.get(0)) / 1_000_000;
        org.junit.jupiter.api.Assertions.assertTrue(spreadMillis >= 400, "events arrived together: " + spreadMillis + " ms");
    }
}
