package dev.meridian.inference.batch.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.meridian.inference.batch.service.BatchPlan.FileError;
import dev.meridian.inference.batch.service.BatchPlan.Line;
import dev.meridian.inference.batch.service.BatchPlan.LineError;
import dev.meridian.inference.config.InferenceConfig;
import dev.meridian.inference.embedding.rest.EmbeddingInputs;
import dev.meridian.inference.embedding.rest.EmbeddingRequest;
import dev.meridian.inference.embedding.rest.EmbeddingResource;
import dev.meridian.inference.embedding.service.EmbeddingService.Input;
import dev.meridian.inference.model.ModelRegistry;
import dev.meridian.inference.model.ModelVersion;
import dev.meridian.inference.service.InferenceException;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Checks a batch input file line by line, as OpenAI does: a file that cannot be run (a line that is not a request,
 * a custom_id missing or used twice, another method, URL or model) fails the batch with every such line named; a
 * request the endpoint itself would refuse (bad input, too many tokens, ...) is refused alone, with the same error.
 * CPU work (parsing and tokenizing a whole file): call it off the event loop.
 */
@ApplicationScoped
public class BatchValidator {

    /** OpenAI lists at most this many file errors; so do we. */
    static final int MAX_FILE_ERRORS = 100;

    private final ObjectMapper json;
    private final ModelRegistry models;
    private final InferenceConfig config;

    public BatchValidator(ObjectMapper json, ModelRegistry models, InferenceConfig config) {
        this.json = json;
        this.models = models;
        this.config = config;
    }

    /**
     * @param texts the valid lines' inputs, prompts applied, in order: the job's inputs
     * @param errors non-empty when the file cannot be run (then plan and texts are null)
     */
    public record Checked(BatchPlan plan, List<String> texts, List<FileError> errors) {
    }

    public Checked check(byte[] file, String endpoint, String caller) {
        List<FileError> errors = new ArrayList<>();
        List<JsonNode> bodies = new ArrayList<>();
        List<String> customIds = new ArrayList<>();
        List<Integer> numbers = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        String model = null;
        String[] rows = new String(file, StandardCharsets.UTF_8).split("\n", -1);
        for (int i = 0; i < rows.length && errors.size() < MAX_FILE_ERRORS; i++) {
            String row = rows[i].strip();
            if (row.isEmpty()) {
                continue;
            }
            int number = i + 1;
            JsonNode request;
            try {
                request = json.readTree(row);
            } catch (JsonProcessingException e) {
                errors.add(new FileError("invalid_json_line", "line " + number + " is not JSON", null, number));
                continue;
            }
            if (!request.isObject()) {
                errors.add(new FileError("invalid_json_line", "line " + number + " is not a JSON object", null, number));
                continue;
            }
            JsonNode customId = request.get("custom_id");
            if (customId == null || !customId.isTextual() || customId.textValue().isEmpty()) {
                errors.add(new FileError("missing_required_parameter", "line " + number
                        + " has no custom_id (a non-empty string)", "custom_id", number));
            } else if (!seen.add(customId.textValue())) {
                errors.add(new FileError("duplicate_custom_id", "custom_id '" + customId.textValue()
                        + "' is used by more than one line; each must be unique", "custom_id", number));
            }
            if (!"POST".equals(text(request, "method"))) {
                errors.add(new FileError("invalid_value", "line " + number + ": 'method' must be \"POST\"",
                        "method", number));
            }
            if (!endpoint.equals(text(request, "url"))) {
                errors.add(new FileError("invalid_url", "line " + number + ": 'url' must be \"" + endpoint
                        + "\", the batch's endpoint", "url", number));
            }
            JsonNode body = request.get("body");
            if (body == null || !body.isObject()) {
                errors.add(new FileError("missing_required_parameter", "line " + number
                        + " has no body (a JSON object)", "body", number));
                continue;
            }
            String lineModel = text(body, "model");
            if (bodies.isEmpty() && errors.isEmpty()) {
                model = lineModel;
            } else if (!Objects.equals(model, lineModel)) {
                errors.add(new FileError("model_mismatch", "line " + number + " asks for model '" + lineModel
                        + "', another line for '" + model + "': a batch runs on one model", "body.model", number));
            }
            bodies.add(body);
            customIds.add(customId != null ? customId.asText() : null);
            numbers.add(number);
        }
        if (errors.isEmpty() && bodies.isEmpty()) {
            errors.add(new FileError("empty_file", "the file has no requests", null, null));
        }
        if (!errors.isEmpty()) {
            return new Checked(null, null, errors.size() > MAX_FILE_ERRORS ? errors.subList(0, MAX_FILE_ERRORS) : errors);
        }
        ModelVersion version = models.resolve(model, caller); // an unknown model is the whole file's error: 404
        List<Line> lines = new ArrayList<>(bodies.size());
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < bodies.size(); i++) {
            lines.add(line(version, numbers.get(i), customIds.get(i), bodies.get(i), texts));
        }
        return new Checked(new BatchPlan(version.qualifiedName(), lines), texts, List.of());
    }

    /** One request, checked as /v1/embeddings checks it; its texts appended to {@code texts} when valid. */
    private Line line(ModelVersion model, int number, String customId, JsonNode body, List<String> texts) {
        try {
            EmbeddingRequest request = json.treeToValue(body, EmbeddingRequest.class);
            boolean base64 = EmbeddingResource.encodingFormat(request.encodingFormat());
            List<Input> inputs = EmbeddingInputs.of(request, model, config.limits().maxItems());
            boolean truncate = Boolean.TRUE.equals(request.truncate());
            boolean list = request.input().isArray();
            int tokens = 0;
            List<String> accepted = new ArrayList<>(inputs.size());
            for (int i = 0; i < inputs.size(); i++) {
                Input input = inputs.get(i);
                if (input.text() == null) {
                    throw InferenceException.invalid("input", "invalid_input",
                            "batch requests take text input; token ids are not supported here");
                }
                tokens += model.tokenizer().encode(input.text(), truncate, list ? "input[" + i + "]" : "input")
                        .ids().length;
                accepted.add(input.text());
            }
            texts.addAll(accepted);
            return new Line(number, customId, accepted.size(), tokens, base64, null);
        } catch (InferenceException e) {
            return new Line(number, customId, 0, 0, false,
                    new LineError(e.status(), e.type(), e.code(), e.param(), e.getMessage()));
        } catch (JsonProcessingException e) {
            return new Line(number, customId, 0, 0, false, new LineError(400, "invalid_request_error",
                    "invalid_request", null, "the body is not an embeddings request: " + e.getOriginalMessage()));
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value != null && value.isTextual() ? value.textValue() : null;
    }
}
