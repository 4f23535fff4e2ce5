package dev.meridian.inference.batch.service;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.meridian.inference.batch.Batch;
import dev.meridian.inference.batch.service.BatchPlan.Line;
import dev.meridian.inference.embedding.Vectors;
import dev.meridian.inference.embedding.rest.EmbeddingResponse;
import dev.meridian.inference.rest.OpenAiError;
import io.smallrye.mutiny.Multi;
import io.vertx.mutiny.core.buffer.Buffer;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * A batch's output and error files in OpenAI's line format, rendered from the plan and the job's vectors whenever they
 * are read (the same bytes every time, so the size recorded at completion stays true). Lines come in input-file
 * order; a file of tens of megabytes is written a few lines at a time, never built whole.
 */
@ApplicationScoped
public class BatchOutput {

    private static final int LINES_PER_CHUNK = 32;

    /** Bytes of the output and error files. */
    public record Sizes(long output, long errors) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record ResultLine(String id, @JsonProperty("custom_id") String customId, Response response, Object error) {
    }

    record Response(@JsonProperty("status_code") int statusCode, @JsonProperty("request_id") String requestId,
                    Object body) {
    }

    private final ObjectMapper json;

    public BatchOutput(ObjectMapper json) {
        this.json = json;
    }

    /** @param result the job's vectors (float32, back to back), or null when no line ran */
    public Sizes sizes(Batch batch, BatchPlan plan, byte[] result) {
        long output = 0;
        long errors = 0;
        int offset = 0;
        int width = width(plan, result);
        for (Line line : plan.lines()) {
            if (line.error() == null) {
                output += render(batch, plan, line, result, offset, width).length;
                offset += line.inputs();
            } else {
                errors += render(batch, plan, line, null, 0, 0).length;
            }
        }
        return new Sizes(output, errors);
    }

    public Multi<Buffer> output(Batch batch, BatchPlan plan, byte[] result) {
        int width = width(plan, result);
        List<int[]> offsets = new ArrayList<>(); // line index, first input
        int offset = 0;
        for (int i = 0; i < plan.lines().size(); i++) {
            Line line = plan.lines().get(i);
            if (line.error() == null) {
                offsets.add(new int[] {i, offset});
                offset += line.inputs();
            }
        }
        return chunked(offsets, at -> render(batch, plan, plan.lines().get(at[0]), result, at[1], width));
    }

    public Multi<Buffer> errors(Batch batch, BatchPlan plan) {
        List<int[]> refused = new ArrayList<>();
        for (int i = 0; i < plan.lines().size(); i++) {
            if (plan.lines().get(i).error() != null) {
                refused.add(new int[] {i, 0});
            }
        }
        return chunked(refused, at -> render(batch, plan, plan.lines().get(at[0]), null, 0, 0));
    }

    private static Multi<Buffer> chunked(List<int[]> lines, java.util.function.Function<int[], byte[]> render) {
        int chunks = (lines.size() + LINES_PER_CHUNK - 1) / LINES_PER_CHUNK;
        return Multi.createFrom().range(0, chunks).map(chunk -> {
            Buffer buffer = Buffer.buffer();
            for (int i = chunk * LINES_PER_CHUNK; i < Math.min(lines.size(), (chunk + 1) * LINES_PER_CHUNK); i++) {
                buffer.appendBytes(render.apply(lines.get(i)));
            }
            return buffer;
        });
    }

    private static int width(BatchPlan plan, byte[] result) {
        int inputs = plan.lines().stream().mapToInt(Line::inputs).sum();
        return result == null || inputs == 0 ? 0 : result.length / inputs;
    }

    /** One line and its newline. */
    private byte[] render(Batch batch, BatchPlan plan, Line line, byte[] result, int offset, int width) {
        String id = "batch_req_" + batch.id.substring("batch_".length()) + "_" + line.line();
        Object body;
        int status;
        if (line.error() != null) {
            status = line.error().status();
            body = new OpenAiError(new OpenAiError.Body(line.error().message(), line.error().type(),
                    line.error().param(), line.error().code()));
        } else {
            status = 200;
            List<EmbeddingResponse.Item> data = new ArrayList<>(line.inputs());
            for (int i = 0; i < line.inputs(); i++) {
                byte[] bytes = Arrays.copyOfRange(result, (offset + i) * width, (offset + i + 1) * width);
                data.add(new EmbeddingResponse.Item("embedding", i,
                        line.base64() ? Base64.getEncoder().encodeToString(bytes) : Vectors.fromBytes(bytes)));
            }
            body = new EmbeddingResponse("list", data, plan.model(),
                    new EmbeddingResponse.Usage(line.tokens(), line.tokens()), null);
        }
        try {
            byte[] rendered = json.writeValueAsBytes(new ResultLine(id, line.customId(),
                    new Response(status, id, body), null));
            byte[] withNewline = Arrays.copyOf(rendered, rendered.length + 1);
            withNewline[rendered.length] = '\n';
            return withNewline;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
