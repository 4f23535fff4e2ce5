package dev.meridian.gateway.proxy;

import java.util.UUID;
import java.util.regex.Pattern;

/** X-Request-Id: the client's if it is sane, else a new one; sent upstream and returned to the client. */
public final class RequestIds {

    public static final String HEADER = "X-Request-Id";
    static final String KEY = "meridian.request-id";
    private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private RequestIds() {
    }

    static String choose(String fromClient) {
        return fromClient != null && SANE.matcher(fromClient).matches() ? fromClient : UUID.randomUUID().toString();
    }
}
