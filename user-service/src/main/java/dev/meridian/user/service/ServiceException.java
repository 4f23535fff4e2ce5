package dev.meridian.user.service;

/** A request the service refuses, with the kind of refusal; the REST layer turns it into problem+json. */
public class ServiceException extends RuntimeException {

    public enum Kind {
        INVALID(422, "Validation failed"),
        CONFLICT(409, "Conflict"),
        NOT_FOUND(404, "Not found"),
        STALE(412, "Precondition failed"),
        FORBIDDEN(403, "Forbidden"),
        /** A dependency (PostgreSQL, Redis) did not answer in time; the client should retry after a while. */
        UNAVAILABLE(503, "Service unavailable");

        public final int status;
        public final String title;

        Kind(int status, String title) {
            this.status = status;
            this.title = title;
        }
    }

    private final Kind kind;
    private final String field;
    private final long retryAfterSeconds;

    public ServiceException(Kind kind, String detail) {
        this(kind, detail, null);
    }

    public ServiceException(Kind kind, String detail, String field) {
        this(kind, detail, field, 0);
    }

    private ServiceException(Kind kind, String detail, String field, long retryAfterSeconds) {
        super(detail, null, false, false);
        this.kind = kind;
        this.field = field;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 503 with Retry-After: nothing the client did wrong, the same request may succeed shortly. */
    public static ServiceException unavailable(String detail, long retryAfterSeconds) {
        return new ServiceException(Kind.UNAVAILABLE, detail, null, Math.max(1, retryAfterSeconds));
    }

    /** Seconds for Retry-After; 0 when the refusal is not temporary. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    public Kind kind() {
        return kind;
    }

    /** The request field the refusal is about, if any. */
    public String field() {
        return field;
    }

    public static ServiceException notFound(String what) {
        return new ServiceException(Kind.NOT_FOUND, what + " not found");
    }
}
