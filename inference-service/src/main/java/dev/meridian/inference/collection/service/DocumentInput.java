package dev.meridian.inference.collection.service;

import java.util.Map;

/** A document as a client sends it; a missing id is generated. */
public record DocumentInput(String id, String text, Map<String, Object> metadata) {
}
