package dev.meridian.user.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.meridian.user.service.OAuthException;
import dev.meridian.user.service.ServiceException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import jakarta.persistence.OptimisticLockException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.hibernate.StaleStateException;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.Map;
import java.util.stream.Collectors;

/** Every error leaves as problem+json (the token endpoint: OAuth2 errors); never a stack trace. */
public class ProblemMappers {

    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);
    static final String CHALLENGE = "Bearer realm=\"meridian\"";

    @ServerExceptionMapper
    public Response service(ServiceException e, UriInfo uri) {
        Response problem = Problem.response(e.kind().status, e.kind().name().toLowerCase(), e.kind().title,
                e.getMessage(), uri.getPath(), e.field());
        return e.retryAfterSeconds() > 0
                ? Response.fromResponse(problem).header(HttpHeaders.RETRY_AFTER, e.retryAfterSeconds()).build()
                : problem;
    }

    @ServerExceptionMapper
    public Response oauth(OAuthException e) {
        return Response.status(e.status()).type(MediaType.APPLICATION_JSON)
                .header("Cache-Control", "no-store")
                .entity(Map.of("error", e.error(), "error_description", e.getMessage()))
                .build();
    }

    @ServerExceptionMapper({UnauthorizedException.class, AuthenticationFailedException.class})
    public Response unauthorized(RuntimeException e, UriInfo uri) {
        Response problem = Problem.response(401, "unauthorized", "Unauthorized",
                "a valid access token is required (Authorization: Bearer ...)", uri.getPath(), null);
        return Response.fromResponse(problem).header(HttpHeaders.WWW_AUTHENTICATE, CHALLENGE).build();
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e, UriInfo uri) {
        return Problem.response(403, "forbidden", "Forbidden", "this needs a role you do not have", uri.getPath(), null);
    }

    @ServerExceptionMapper({OptimisticLockException.class, StaleStateException.class})
    public Response conflict(RuntimeException e, UriInfo uri) {
        return Problem.response(409, "conflict", "Conflict",
                "the account was changed concurrently; read it again and retry", uri.getPath(), null);
    }

    @ServerExceptionMapper
    public Response unknownField(UnrecognizedPropertyException e, UriInfo uri) {
        return Problem.response(400, "unknown-field", "Bad Request",
                "unknown field '" + e.getPropertyName() + "'", uri.getPath(), e.getPropertyName());
    }

    /** More specific than Quarkus' built-in mapper for this type, which would answer without naming the field. */
    @ServerExceptionMapper
    public Response wrongType(MismatchedInputException e, UriInfo uri) {
        return badJson(e, uri);
    }

    @ServerExceptionMapper
    public Response badJson(JsonProcessingException e, UriInfo uri) {
        String field = e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()
                ? mapping.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                        .collect(Collectors.joining("."))
                : null;
        String detail = field != null ? "field '" + field + "' has the wrong type or format" : "the body is not valid JSON";
        return Problem.response(400, "malformed-request", "Bad Request", detail, uri.getPath(), field);
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e, UriInfo uri) {
        if (e.getCause() instanceof JsonProcessingException json) {
            return badJson(json, uri);
        }
        int status = e.getResponse().getStatus();
        Response.Status known = Response.Status.fromStatusCode(status);
        String title = known == null ? "Error" : known.getReasonPhrase();
        return Problem.response(status, title.toLowerCase().replace(' ', '-'), title, e.getMessage(), uri.getPath(), null);
    }

    @ServerExceptionMapper
    public Response unexpected(Exception e, UriInfo uri) {
        LOG.errorf(e, "unexpected failure on %s", uri.getPath());
        return Problem.response(500, "internal", "Internal error", "something went wrong on our side", uri.getPath(), null);
    }
}
