package dev.meridian.inference.service;

/** A request the service refuses, carried to the client in OpenAI's error shape. */
public class InferenceException extends RuntimeException {

    private final int status;
    private final String type;
    private final String code;
    private final String param;
    private final Integer retryAfterSeconds;

    public InferenceException(int status, String type, String code, String param, String message,
                              Integer retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public static InferenceException invalid(String param, String code, String message) {
        return new InferenceException(400, "invalid_request_error", code, param, message, null);
    }

    public static InferenceException bodyRequired() {
        return invalid(null, "invalid_json", "a JSON body is required");
    }

    public static InferenceException unknownModel(String model) {
        return new InferenceException(404, "invalid_request_error", "model_not_found", "model",
                "the model '" + model + "' does not exist; GET /v1/models lists the served ones", null);
    }

    public static InferenceException overloaded(String message) {
        return new InferenceException(429, "rate_limit_error", "model_overloaded", null, message, 1);
    }

    public static InferenceException unavailable(String code, String message) {
        return new InferenceException(503, "server_error", code, null, message, 1);
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String code() {
        return code;
    }

    public String param() {
        return param;
    }

    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
