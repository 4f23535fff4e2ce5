package dev.meridian.inference.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.meridian.inference.security.TokenChecks;
import dev.meridian.inference.service.InferenceException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import jakarta.persistence.OptimisticLockException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.hibernate.StaleStateException;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.stream.Collectors;

/** Every error of this service leaves in OpenAI's shape with the matching status; never a stack trace. */
public class OpenAiErrorMappers {

    private static final Logger LOG = Logger.getLogger(OpenAiErrorMappers.class);

    @ServerExceptionMapper
    public Response inference(InferenceException e) {
        Response response = OpenAiError.response(e.status(), e.type(), e.code(), e.param(), e.getMessage());
        if (e.retryAfterSeconds() != null) {
            return Response.fromResponse(response).header(HttpHeaders.RETRY_AFTER, e.retryAfterSeconds()).build();
        }
        return response;
    }

    @ServerExceptionMapper({UnauthorizedException.class, AuthenticationFailedException.class})
    public Response unauthorized(RuntimeException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) { // the check's failure may come wrapped
            if (cause instanceof AuthenticationFailedException failed
                    && failed.getAttribute(TokenChecks.ACCOUNT_STATUS) != null) {
                // a valid token of a disabled or erased account: who they are is known, what they may do is nothing
                String status = failed.getAttribute(TokenChecks.ACCOUNT_STATUS);
                return OpenAiError.response(403, "invalid_request_error", "account_" + status, null,
                        "this account is " + status);
            }
        }
        Response response = OpenAiError.response(401, "invalid_request_error", "invalid_api_key", null,
                "a valid access token is required (Authorization: Bearer ...)");
        return Response.fromResponse(response).header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"meridian\"").build();
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e) {
        return OpenAiError.response(403, "invalid_request_error", "forbidden", null, "this needs a role you do not have");
    }

    @ServerExceptionMapper({OptimisticLockException.class, StaleStateException.class})
    public Response conflict(RuntimeException e) {
        return OpenAiError.response(409, "invalid_request_error", "conflict", null,
                "the resource changed concurrently; read it again and retry");
    }

    @ServerExceptionMapper
    public Response unknownField(UnrecognizedPropertyException e) {
        return OpenAiError.response(400, "invalid_request_error", "unknown_parameter", e.getPropertyName(),
                "unrecognized request argument supplied: " + e.getPropertyName());
    }

    /** More specific than Quarkus' built-in mapper for this type, which would answer without naming the field. */
    @ServerExceptionMapper
    public Response wrongType(MismatchedInputException e) {
        return badJson(e);
    }

    @ServerExceptionMapper
    public Response badJson(JsonProcessingException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof StreamReadException syntax) {
                String where = syntax.getLocation() == null ? ""
                        : " (line " + syntax.getLocation().getLineNr() + ", column " + syntax.getLocation().getColumnNr() + ")";
                return OpenAiError.response(400, "invalid_request_error", "invalid_json", null,
                        "the body is not valid JSON" + where);
            }
        }
        String field = e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()
                ? mapping.getPath().stream()
                        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                        .collect(Collectors.joining("."))
                : null;
        String message = field != null ? "'" + field + "' has the wrong type or format" : "the body is not valid JSON";
        return OpenAiError.response(400, "invalid_request_error", "invalid_json", field, message);
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e, UriInfo uri) {
        if (e.getCause() instanceof JsonProcessingException json) {
            return badJson(json);
        }
        int status = e.getResponse().getStatus();
        String message = switch (status) {
            case 404 -> "no such endpoint: " + uri.getPath();
            case 405 -> "method not allowed on " + uri.getPath();
            case 413 -> "the request body is too large";
            case 415 -> "send the body as application/json";
            default -> e.getMessage();
        };
        String type = status >= 500 ? "server_error" : "invalid_request_error";
        return OpenAiError.response(status, type, null, null, message);
    }

    @ServerExceptionMapper
    public Response unexpected(Exception e, UriInfo uri) {
        LOG.errorf(e, "unexpected failure on %s", uri.getPath());
        return OpenAiError.response(500, "server_error", null, null, "something went wrong on our side");
    }
}
