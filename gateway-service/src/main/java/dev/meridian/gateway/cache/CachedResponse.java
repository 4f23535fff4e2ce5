package dev.meridian.gateway.cache;

import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * A stored upstream answer: status, end-to-end headers and body, when it was stored, until when it is fresh and until
 * when it may still be served if the upstream fails; {@code user} is set for an answer only that user may see;
 * {@code key} is the one it is stored under.
 */
public record CachedResponse(int status, List<Map.Entry<String, String>> headers, byte[] body, long storedAt,
                             long freshUntil, long staleUntil, String user, String key) {

    public boolean fresh(long now) {
        return now < freshUntil;
    }

    public boolean servableOnError(long now) {
        return now < staleUntil;
    }

    public boolean visibleTo(String caller) {
        return user == null || user.equals(caller);
    }

    /** Age in seconds: what the upstream said plus the time spent here. */
    public long age(long now) {
        return CacheAdmission.parseAge(header("Age")) + Math.max(0, now - storedAt) / 1000;
    }

    public String header(String name) {
        return headers.stream().filter(h -> h.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue)
                .findFirst().orElse(null);
    }

    public static List<Map.Entry<String, String>> copy(MultiMap headers) {
        List<Map.Entry<String, String>> copy = new ArrayList<>();
        headers.forEach(h -> copy.add(Map.entry(h.getKey(), h.getValue())));
        return List.copyOf(copy);
    }

    public String toJson() {
        JsonArray h = new JsonArray();
        headers.forEach(e -> h.add(new JsonArray().add(e.getKey()).add(e.getValue())));
        return new JsonObject().put("status", status).put("headers", h)
                .put("body", Base64.getEncoder().encodeToString(body)).put("storedAt", storedAt)
                .put("freshUntil", freshUntil).put("staleUntil", staleUntil).put("user", user).put("key", key).encode();
    }

    public static CachedResponse fromJson(String json) {
        JsonObject o = new JsonObject(json);
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        o.getJsonArray("headers").forEach(e -> {
            JsonArray pair = (JsonArray) e;
            headers.add(Map.entry(pair.getString(0), pair.getString(1)));
        });
        return new CachedResponse(o.getInteger("status"), List.copyOf(headers),
                Base64.getDecoder().decode(o.getString("body")), o.getLong("storedAt"), o.getLong("freshUntil"),
                o.getLong("staleUntil"), o.getString("user"), o.getString("key"));
    }
}
