package dev.meridian.gateway.pipeline;

/** A step's "no": the status, problem type and wording the client gets, and Retry-After when it is known. */
public final class Refusal extends RuntimeException {

    public final int status;
    public final String slug;
    public final String title;
    /** Seconds; 0 when not applicable. */
    public final long retryAfter;

    public Refusal(int status, String slug, String title, String detail, long retryAfter) {
        super(detail, null, false, false);
        this.status = status;
        this.slug = slug;
        this.title = title;
        this.retryAfter = retryAfter;
    }
}
