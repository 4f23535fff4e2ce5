package dev.meridian.user.rest;

import dev.meridian.user.service.ServiceException;

/** What every resource asks of a request body. */
public final class Bodies {

    private Bodies() {
    }

    /** An absent body (empty request) is a 422, not a NullPointerException further down. */
    public static <T> T required(T body) {
        if (body == null) {
            throw new ServiceException(ServiceException.Kind.INVALID, "a JSON body is required");
        }
        return body;
    }
}
