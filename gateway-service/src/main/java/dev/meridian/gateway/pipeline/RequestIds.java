package dev.meridian.gateway.pipeline;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/** X-Request-Id: the client's if it is sane, else a new one; sent upstream and returned to the client. */
public final class RequestIds {

    public static final String HEADER = "X-Request-Id";
    private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private RequestIds() {
    }

    static String choose(String fromClient) {
        if (fromClient != null && SANE.matcher(fromClient).matches()) {
            return fromClient;
        }
        // a version 4 UUID from a fast generator: an id must be unique, not unguessable, and SecureRandom is slow
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return new UUID(random.nextLong() & ~0xF000L | 0x4000L,
                random.nextLong() & 0x3FFFFFFFFFFFFFFFL | 0x8000000000000000L).toString();
    }
}
