package dev.meridian.inference.model;

import dev.meridian.inference.service.InferenceException;

/**
 * What a text is for, as Cohere and Voyage name it: retrieval models embed queries and documents with different
 * prompts. Absent, a text is embedded exactly as sent.
 */
public enum InputType {
    QUERY, DOCUMENT;

    /** null stays null; anything but "query" or "document" is refused, naming {@code param}. */
    public static InputType parse(String value, String param) {
        if (value == null) {
            return null;
        }
        return switch (value) {
            case "query" -> QUERY;
            case "document" -> DOCUMENT;
            default -> throw InferenceException.invalid(param, "invalid_value",
                    "'" + param + "' must be \"query\" or \"document\"");
        };
    }
}
