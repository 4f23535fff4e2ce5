package dev.meridian.user.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.opentelemetry.api.trace.Span;
import jakarta.ws.rs.core.Response;

/** RFC 9457 problem details, plus the trace id to quote in a bug report and the request field at fault. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, String instance, String traceId,
                      String field) {

    public static final String MEDIA_TYPE = "application/problem+json";
    static final String TYPE_BASE = "https://meridian.dev/problems/";

    public static Response response(int status, String slug, String title, String detail, String instance,
                                    String field) {
        String traceId = Span.current().getSpanContext().isValid() ? Span.current().getSpanContext().getTraceId() : null;
        return Response.status(status)
                .type(MEDIA_TYPE)
                .entity(new Problem(TYPE_BASE + slug, title, status, detail, instance, traceId, field))
                .build();
    }
}
