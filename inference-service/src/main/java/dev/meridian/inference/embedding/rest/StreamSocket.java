package dev.meridian.inference.embedding.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.meridian.inference.embedding.service.EmbeddingService;
import dev.meridian.inference.embedding.service.EmbeddingService.Input;
import dev.meridian.inference.model.MicroBatcher.Priority;
import dev.meridian.inference.model.ModelRegistry;
import dev.meridian.inference.rest.OpenAiError;
import dev.meridian.inference.service.Caller;
import dev.meridian.inference.service.InferenceException;
import dev.meridian.inference.usage.BillableCall;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.Authenticated;
import io.quarkus.websockets.next.OnClose;
import io.quarkus.websockets.next.OnOpen;
import io.quarkus.websockets.next.OnTextMessage;
import io.quarkus.websockets.next.WebSocket;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.common.annotation.NonBlocking;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code /v1/stream}: a client sends texts as they come ({"id", "input", "model"?}) and gets each embedding back as
 * soon as its batch ran ({"id", "object": "embedding", "model", "embedding"}), in completion order, so a stream of
 * texts rides the same micro-batches as HTTP traffic. Authenticated at the upgrade (the token checked as for every
 * request, see TokenChecks); texts count as the token's subject's. A connection holds at most
 * {@link #MAX_IN_FLIGHT} texts between arrival and the written answer; beyond that a text is refused with an error
 * frame at once, so a client that sends faster than it reads costs bounded memory.
 */
@WebSocket(path = "/v1/stream")
@Authenticated
public class StreamSocket {

    static final int MAX_IN_FLIGHT = 32;

    private final EmbeddingService embeddings;
    private final ModelRegistry models;
    private final ObjectMapper json;
    private final SecurityIdentity identity;
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

    public StreamSocket(EmbeddingService embeddings, ModelRegistry models, ObjectMapper json,
                        SecurityIdentity identity) {
        this.embeddings = embeddings;
        this.models = models;
        this.json = json;
        this.identity = identity;
    }

    @OnOpen
    void open(WebSocketConnection connection) {
        inFlight.put(connection.id(), new AtomicInteger());
    }

    @OnClose
    void close(WebSocketConnection connection) {
        inFlight.remove(connection.id());
    }

    @OnTextMessage
    @NonBlocking // tokenizing one text is cheap; the work itself waits in the batcher, off the event loop
    void message(String text, WebSocketConnection connection) {
        AtomicInteger pending = inFlight.get(connection.id());
        String id = null;
        try {
            JsonNode request = json.readTree(text);
            id = request.path("id").isTextual() ? request.get("id").textValue() : null;
            JsonNode input = request.path("input");
            if (!input.isTextual() || input.textValue().isEmpty()) {
                throw InferenceException.invalid("input", "invalid_input", "'input' must be a non-empty string");
            }
            if (pending.incrementAndGet() > MAX_IN_FLIGHT) {
                pending.decrementAndGet();
                throw InferenceException.overloaded(MAX_IN_FLIGHT + " texts of this connection are in flight; "
                        + "read the answers before sending more");
            }
            String requestId = id;
            String model = request.path("model").isTextual() ? request.get("model").textValue() : null;
            Caller who = Caller.of(identity);
            String endUser = who.userId().toString();
            embeddings.embed(models.resolve(model, endUser), List.of(new Input(input.textValue(), null)),
                            request.path("truncate").asBoolean(false), i -> "input", Priority.INTERACTIVE,
                            endUser, who.tier(), new BillableCall("/v1/stream", null, who.apiKeyId()))
                    .map(result -> answer(requestId).put("object", "embedding")
                            .put("model", result.model().qualifiedName())
                            .set("embedding", json.valueToTree(result.vectors().get(0))))
                    .onFailure().recoverWithItem(e -> error(requestId, e))
                    .flatMap(frame -> connection.sendText(frame.toString()))
                    .onTermination().invoke(pending::decrementAndGet)
                    .subscribe().with(ok -> { }, failure -> { });
        } catch (Exception e) {
            connection.sendText(error(id, e).toString()).subscribe().with(ok -> { }, failure -> { });
        }
    }

    private ObjectNode answer(String id) {
        ObjectNode frame = json.createObjectNode();
        frame.put("id", id);
        return frame;
    }

    private ObjectNode error(String id, Throwable e) {
        InferenceException failure = e instanceof InferenceException known ? known
                : e instanceof JsonProcessingException ? InferenceException.invalid(null, "invalid_json",
                        "a frame must be a JSON object like {\"id\": \"1\", \"input\": \"text\"}")
                : InferenceException.unavailable("internal", "the text could not be embedded");
        ObjectNode frame = answer(id);
        frame.set("error", json.valueToTree(new OpenAiError.Body(failure.getMessage(), failure.type(), failure.param(),
                failure.code())));
        return frame;
    }
}
