package dev.meridian.inference.embedding.rest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.inference.embedding.service.EmbeddingService.Input;
import dev.meridian.inference.model.InputType;
import dev.meridian.inference.model.ModelVersion;
import dev.meridian.inference.service.InferenceException;

import java.util.ArrayList;
import java.util.List;

/** Reads OpenAI's four forms of {@code input}, naming the exact element that is wrong. */
public final class EmbeddingInputs {

    private EmbeddingInputs() {
    }

    /**
     * What a request asks {@code model} to embed, each text after the prompt its {@code input_type} names; everything
     * the endpoint refuses (dimensions, input_type, input) refused here, so /v1/embeddings and batch lines agree.
     */
    public static List<Input> of(EmbeddingRequest request, ModelVersion model, int maxItems) {
        int dimensions = model.config().dimensions();
        if (request.dimensions() != null && request.dimensions() != dimensions) {
            throw InferenceException.invalid("dimensions", "unsupported_dimensions", model.qualifiedName()
                    + " produces " + dimensions + " dimensions and cannot shorten them; omit 'dimensions' or send "
                    + dimensions);
        }
        return withPrompt(parse(request.input(), maxItems),
                model.prompt(InputType.parse(request.inputType(), "input_type")));
    }

    static List<Input> parse(JsonNode input, int maxItems) {
        if (input == null || input.isNull() || input.isMissingNode()) {
            throw invalid("input", "'input' is required: a string, an array of strings or an array of token ids");
        }
        if (input.isTextual()) {
            return List.of(text(input, "input"));
        }
        if (!input.isArray()) {
            throw invalid("input", "'input' must be a string, an array of strings or an array of token ids");
        }
        if (input.isEmpty()) {
            throw invalid("input", "'input' must not be empty");
        }
        if (input.get(0).isIntegralNumber()) {
            return List.of(new Input(null, tokenIds(input, "input")));
        }
        if (input.size() > maxItems) {
            throw InferenceException.invalid("input", "too_many_inputs",
                    "'input' has " + input.size() + " items; at most " + maxItems + " per request");
        }
        boolean tokens = input.get(0).isArray();
        List<Input> inputs = new ArrayList<>(input.size());
        for (int i = 0; i < input.size(); i++) {
            JsonNode item = input.get(i);
            String name = "input[" + i + "]";
            if (tokens && item.isArray()) {
                inputs.add(new Input(null, tokenIds(item, name)));
            } else if (!tokens && item.isTextual()) {
                inputs.add(text(item, name));
            } else {
                throw invalid(name, "'" + name + "' must be " + (tokens ? "an array of token ids" : "a string")
                        + ", like the first item");
            }
        }
        return inputs;
    }

    /** Each text after {@code prompt}; token ids cannot take one (they are embedded as sent). */
    static List<Input> withPrompt(List<Input> inputs, String prompt) {
        if (prompt.isEmpty()) {
            return inputs;
        }
        List<Input> prompted = new ArrayList<>(inputs.size());
        for (Input input : inputs) {
            if (input.text() == null) {
                throw InferenceException.invalid("input_type", "invalid_input",
                        "'input_type' needs text input: token ids are embedded as sent, so include the model's prompt"
                                + " in them");
            }
            prompted.add(new Input(prompt + input.text(), null));
        }
        return prompted;
    }

    private static Input text(JsonNode node, String name) {
        if (node.textValue().isEmpty()) {
            throw invalid(name, "'" + name + "' must not be an empty string");
        }
        return new Input(node.textValue(), null);
    }

    /** A non-empty array of integer token ids, each element named in errors. */
    public static long[] tokenIds(JsonNode array, String name) {
        if (array.isEmpty()) {
            throw invalid(name, "'" + name + "' must not be empty");
        }
        long[] ids = new long[array.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode id = array.get(i);
            if (!id.isIntegralNumber()) {
                throw invalid(name + "[" + i + "]", "'" + name + "[" + i + "]' must be an integer token id");
            }
            ids[i] = id.longValue();
        }
        return ids;
    }

    private static InferenceException invalid(String param, String message) {
        return InferenceException.invalid(param, "invalid_input", message);
    }
}
