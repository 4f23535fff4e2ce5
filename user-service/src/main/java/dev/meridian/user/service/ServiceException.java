package dev.meridian.user.service;

/** A request the service refuses, with the kind of refusal; the REST layer turns it into problem+json. */
public class ServiceException extends RuntimeException {

    public enum Kind {
        INVALID(422, "Validation failed"),
        CONFLICT(409, "Conflict"),
        NOT_FOUND(404, "Not found"),
        STALE(412, "Precondition failed"),
        FORBIDDEN(403, "Forbidden");

        public final int status;
        public final String title;

        Kind(int status, String title) {
            this.status = status;
            this.title = title;
        }
    }

    private final Kind kind;
    private final String field;

    public ServiceException(Kind kind, String detail) {
        this(kind, detail, null);
    }

    public ServiceException(Kind kind, String detail, String field) {
        super(detail, null, false, false);
        this.kind = kind;
        this.field = field;
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
