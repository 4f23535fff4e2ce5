package dev.meridian.inference.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** OpenAI's error body: {"error":{"message","type","param","code"}}, which its SDKs parse into typed exceptions. */
public record OpenAiError(Body error) {

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Body(String message, String type, String param, String code) {
    }

    public static Response response(int status, String type, String code, String param, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(new OpenAiError(new Body(message, type, param, code))).build();
    }
}
