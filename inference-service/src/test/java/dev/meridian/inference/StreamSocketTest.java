package dev.meridian.inference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static dev.meridian.inference.InferenceApi.MODEL;
import static dev.meridian.inference.InferenceApi.embed;
import static dev.meridian.inference.InferenceApi.vectors;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
class StreamSocketTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TestHTTPResource("/v1/stream")
    URI stream;

    /** Frames the server sent, as they arrive. */
    private final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();

    private WebSocket connect(String token) {
        URI ws = URI.create(stream.toString().replaceFirst("^http", "ws"));
        return HttpClient.newHttpClient().newWebSocketBuilder().header("Authorization", "Bearer " + token)
                .buildAsync(ws, new WebSocket.Listener() {
                    private final StringBuilder partial = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                        partial.append(data);
                        if (last) {
                            try {
                                frames.add(JSON.readTree(partial.toString()));
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                            partial.setLength(0);
                        }
                        socket.request(1);
                        return null;
                    }
                }).join();
    }

    private JsonNode next() throws InterruptedException {
        JsonNode frame = frames.poll(30, TimeUnit.SECONDS);
        assertNotNull(frame, "no answer within 30 s");
        return frame;
    }

    @Test
    void textsComeBackAsEmbeddingsMatchedByIdAndEqualToTheHttpApi() throws Exception {
        WebSocket socket = connect(JobsTest.token(UUID.randomUUID()));
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            texts.add("streamed text " + i + " " + UUID.randomUUID());
            socket.sendText(JSON.writeValueAsString(Map.of("id", "m" + i, "input", texts.get(i),
                    "model", MODEL + ":fp32")), true).join();
        }
        Map<String, float[]> answers = new HashMap<>();
        for (int i = 0; i < 10; i++) {
            JsonNode frame = next();
            assertEquals("embedding", frame.path("object").asText(), frame.toString());
            float[] vector = new float[frame.get("embedding").size()];
            for (int d = 0; d < vector.length; d++) {
                vector[d] = (float) frame.get("embedding").get(d).asDouble();
            }
            answers.put(frame.get("id").asText(), vector);
        }
        List<float[]> direct = vectors(embed(Map.of("model", MODEL + ":fp32", "input", texts)));
        for (int i = 0; i < 10; i++) {
            assertArrayEquals(direct.get(i), answers.get("m" + i), 1e-5f, "m" + i);
        }

        socket.sendText("{\"id\": \"bad\", \"input\": 5}", true).join();
        JsonNode error = next();
        assertEquals("bad", error.get("id").asText());
        assertEquals("input", error.at("/error/param").asText());
        socket.sendText("not json", true).join();
        assertEquals("invalid_json", next().at("/error/code").asText());
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
    }

    @Test
    void aClientThatSendsFasterThanAnswersComeGetsRefusalsNotUnboundedQueues() throws Exception {
        WebSocket socket = connect(JobsTest.token(UUID.randomUUID()));
        int sent = 200;
        for (int i = 0; i < sent; i++) {
            socket.sendText(JSON.writeValueAsString(Map.of("id", "f" + i, "model", MODEL + ":fp32",
                    "input", "flood " + i + " " + UUID.randomUUID() + " with a few more words to embed")), true)
                    .join(); // the JDK client allows one send at a time; this waits for the write, not the answer
        }
        int embedded = 0;
        int refused = 0;
        for (int i = 0; i < sent; i++) {
            JsonNode frame = next();
            if (frame.has("embedding")) {
                embedded++;
            } else {
                assertEquals("model_overloaded", frame.at("/error/code").asText(), frame.toString());
                refused++;
            }
        }
        assertEquals(sent, embedded + refused, "every text is answered exactly once");
        assertTrue(refused > 0, "a flood beyond 32 in flight is refused");
        assertTrue(embedded >= 32, "up to 32 in flight are served: " + embedded);
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
    }

    @Test
    void theUpgradeNeedsAValidToken() {
        CompletionException refused = assertThrows(CompletionException.class, () -> connect("not-a-token"));
        WebSocketHandshakeException handshake = assertInstanceOf(WebSocketHandshakeException.class, refused.getCause());
        assertEquals(401, handshake.getResponse().statusCode());
    }
}
