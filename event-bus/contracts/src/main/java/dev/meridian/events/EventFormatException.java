package dev.meridian.events;

/** A payload or header set that is not a valid v1 event; the message says what is wrong and where. */
public class EventFormatException extends RuntimeException {

    public EventFormatException(String message) {
        super(message);
    }

    public EventFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
