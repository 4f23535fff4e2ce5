package dev.meridian.inference.tokenize.rest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.inference.config.InferenceConfig;
import dev.meridian.inference.embedding.rest.EmbeddingInputs;
import dev.meridian.inference.model.ModelRegistry;
import dev.meridian.inference.model.ModelVersion;
import dev.meridian.inference.service.Caller;
import dev.meridian.inference.service.InferenceException;
import dev.meridian.inference.tokenize.rest.TokenizeDtos.DetokenizeRequest;
import dev.meridian.inference.tokenize.rest.TokenizeDtos.Token;
import dev.meridian.inference.tokenize.rest.TokenizeDtos.TokenizeRequest;
import dev.meridian.inference.tokenize.service.TokenizeService;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;

import java.util.ArrayList;
import java.util.List;

/**
 * Text-embeddings-inference's /tokenize and /decode under /v1, with the model's tokenizer as embeddings use it: the
 * number of tokens of a text here is the {@code prompt_tokens} /v1/embeddings reports for it.
 */
@Path("/v1")
@Authenticated
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class TokenizeResource {

    private final TokenizeService tokens;
    private final ModelRegistry models;
    private final InferenceConfig config;
    private final SecurityIdentity identity;

    public TokenizeResource(TokenizeService tokens, ModelRegistry models, InferenceConfig config,
                            SecurityIdentity identity) {
        this.tokens = tokens;
        this.models = models;
        this.config = config;
        this.identity = identity;
    }

    @POST
    @Path("/tokenize")
    @Operation(summary = "Tokenize text (TEI's shape)", description = "inputs: a string or strings; per input, its "
            + "tokens with id, text, special and character offsets start/stop (null for special tokens).")
    public Uni<List<List<Token>>> tokenize(TokenizeRequest request) {
        if (request == null) {
            throw InferenceException.bodyRequired();
        }
        List<String> texts = texts(request.inputs());
        return tokens.tokenize(model(request.model()), texts, !Boolean.FALSE.equals(request.addSpecialTokens()))
                .map(all -> all.stream().map(pieces -> pieces.stream()
                        .map(p -> new Token(p.id(), p.text(), p.special(), p.start(), p.stop())).toList()).toList());
    }

    @POST
    @Path("/detokenize")
    @Operation(summary = "Decode token ids to text (TEI's /decode)", description = "ids: token ids or arrays of "
            + "them; one string per array. skip_special_tokens defaults to true.")
    public Uni<List<String>> detokenize(DetokenizeRequest request) {
        if (request == null) {
            throw InferenceException.bodyRequired();
        }
        JsonNode ids = request.ids();
        if (ids == null || !ids.isArray() || ids.isEmpty()) {
            throw invalid("ids", "'ids' must be a non-empty array of token ids or of token-id arrays");
        }
        List<long[]> lists = new ArrayList<>();
        List<String> params = new ArrayList<>();
        if (ids.get(0).isArray()) {
            requireAtMost(ids, "ids");
            for (int i = 0; i < ids.size(); i++) {
                lists.add(tokenIds(ids.get(i), "ids[" + i + "]"));
                params.add("ids[" + i + "]");
            }
        } else {
            lists.add(tokenIds(ids, "ids"));
            params.add("ids");
        }
        return tokens.decode(model(request.model()), lists, params, !Boolean.FALSE.equals(request.skipSpecialTokens()));
    }

    /** The version /v1/embeddings would use for this caller, so counts agree with what embeddings bill. */
    private ModelVersion model(String name) {
        return models.resolve(name, Caller.of(identity).userId().toString());
    }

    private List<String> texts(JsonNode inputs) {
        if (inputs == null || inputs.isNull()) {
            throw invalid("inputs", "'inputs' is required: a string or an array of strings");
        }
        if (inputs.isTextual()) {
            return List.of(inputs.textValue());
        }
        if (!inputs.isArray() || inputs.isEmpty()) {
            throw invalid("inputs", "'inputs' must be a string or a non-empty array of strings");
        }
        requireAtMost(inputs, "inputs");
        List<String> texts = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            if (!inputs.get(i).isTextual()) {
                throw invalid("inputs[" + i + "]", "'inputs[" + i + "]' must be a string");
            }
            texts.add(inputs.get(i).textValue());
        }
        return texts;
    }

    private void requireAtMost(JsonNode array, String param) {
        int max = config.limits().maxItems();
        if (array.size() > max) {
            throw InferenceException.invalid(param, "too_many_inputs",
                    "'" + param + "' has " + array.size() + " items; at most " + max + " per request");
        }
    }

    private static long[] tokenIds(JsonNode array, String param) {
        if (!array.isArray()) {
            throw invalid(param, "'" + param + "' must be a non-empty array of token ids");
        }
        return EmbeddingInputs.tokenIds(array, param);
    }

    private static InferenceException invalid(String param, String message) {
        return InferenceException.invalid(param, "invalid_input", message);
    }
}
