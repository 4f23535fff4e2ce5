package dev.meridian.inference.batch.service;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/**
 * What a batch's input file asks for, line by line, as checked when the batch was created: the valid lines' inputs
 * run, in order, as one job; the others carry the error the endpoint would have answered.
 *
 * @param model the model (id:version) every valid line runs on
 */
public record BatchPlan(String model, List<Line> lines) {

    /**
     * @param line     1-based line number in the input file
     * @param inputs   how many of the job's inputs are this line's (0 for a refused line)
     * @param tokens   the prompt tokens of those inputs, as /v1/embeddings bills them
     * @param base64   whether the line asked for base64 vectors
     * @param error    why the line was refused, or null
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Line(int line, String customId, int inputs, int tokens, boolean base64, LineError error) {
    }

    /** The error /v1/embeddings would have answered for the line. */
    public record LineError(int status, String type, String code, String param, String message) {
    }

    /** Why a file cannot be run at all (OpenAI's batch {@code errors.data} entries). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record FileError(String code, String message, String param, Integer line) {
    }

    public long refused() {
        return lines.stream().filter(l -> l.error() != null).count();
    }

    public int valid() {
        return (int) (lines.size() - refused());
    }
}
