package dev.meridian.events;

import dev.meridian.events.inference.InferenceJobRequested;
import dev.meridian.events.inference.JobType;
import dev.meridian.events.user.UserRegistered;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventSerdeTest {

    private static final String USER = "6f1c2b8e-4d3a-4b7e-9a51-0c2f6a9d1e10";

    @Test
    void roundTripsAnEvent() {
        UserRegistered event = new UserRegistered(UUID.randomUUID(), "Ada", List.of("user"), "free",
                Instant.parse("2026-11-22T09:15:30.123456Z"));
        assertEquals(event, EventSerde.deserialize(EventSerde.serialize(event), UserRegistered.class));
    }

    @Test
    void ignoresFieldsAddedByNewerProducers() {
        UserRegistered event = read(UserRegistered.class, """
                {"userId":"%s","displayName":"Ada","roles":[],"tier":"free","registeredAt":"2026-11-22T09:15:30Z",
                 "locale":"en-GB"}""".formatted(USER));
        assertEquals(USER, event.subject());
    }

    @Test
    void malformedJsonIsAClearError() {
        String message = error(UserRegistered.class, "{\"userId\": \"" + USER + "\", ");
        assertTrue(message.startsWith("malformed JSON in UserRegistered payload"), message);
    }

    @Test
    void missingRequiredFieldIsNamed() {
        String message = error(UserRegistered.class, """
                {"displayName":"Ada","roles":[],"tier":"free","registeredAt":"2026-11-22T09:15:30Z"}""");
        assertEquals("invalid UserRegistered payload: missing required field 'userId'", message);
    }

    @Test
    void wrongTypeIsNamedWithItsField() {
        String message = error(InferenceJobRequested.class, """
                {"jobId":"%s","userId":"%s","jobType":"embed_batch","model":"m","itemCount":"ten",
                 "requestedAt":"2026-11-22T09:15:30Z"}""".formatted(USER, USER));
        assertTrue(message.contains("field 'itemCount'"), message);
    }

    @Test
    void numbersAsStringsAreNotCoerced() {
        String message = error(InferenceJobRequested.class, """
                {"jobId":"%s","userId":"%s","jobType":"embed_batch","model":"m","itemCount":"12",
                 "requestedAt":"2026-11-22T09:15:30Z"}""".formatted(USER, USER));
        assertTrue(message.contains("field 'itemCount'"), message);
    }

    @Test
    void unknownEnumValueIsRejected() {
        String message = error(InferenceJobRequested.class, """
                {"jobId":"%s","userId":"%s","jobType":"train_model","model":"m","itemCount":1,
                 "requestedAt":"2026-11-22T09:15:30Z"}""".formatted(USER, USER));
        assertTrue(message.contains("field 'jobType'"), message);
    }

    @Test
    void badUuidIsRejected() {
        String message = error(UserRegistered.class, """
                {"userId":"not-a-uuid","displayName":"Ada","roles":[],"tier":"free","registeredAt":"2026-11-22T09:15:30Z"}""");
        assertTrue(message.contains("userId"), message);
    }

    @Test
    void emptyAndNullPayloadsAreRejected() {
        assertEquals("empty UserRegistered payload", error(UserRegistered.class, ""));
        assertTrue(error(UserRegistered.class, "null").contains("JSON null"));
        assertTrue(error(UserRegistered.class, "[1,2]").contains("invalid UserRegistered payload"));
    }

    @Test
    void trailingGarbageIsRejected() {
        String message = error(UserRegistered.class, """
                {"userId":"%s","displayName":"Ada","roles":[],"tier":"free","registeredAt":"2026-11-22T09:15:30Z"} {}"""
                .formatted(USER));
        assertTrue(message.contains("UserRegistered"), message);
    }

    @Test
    void optionalFieldMayBeAbsent() {
        InferenceJobRequested job = read(InferenceJobRequested.class, """
                {"jobId":"%s","userId":"%s","jobType":"embed_batch","model":"m","itemCount":3,
                 "requestedAt":"2026-11-22T09:15:30Z"}""".formatted(USER, USER));
        assertEquals(JobType.EMBED_BATCH, job.jobType());
        assertEquals(null, job.collection());
    }

    private static <T extends MeridianEvent> T read(Class<T> type, String json) {
        return EventSerde.deserialize(json.getBytes(StandardCharsets.UTF_8), type);
    }

    private static String error(Class<? extends MeridianEvent> type, String json) {
        return assertThrows(EventFormatException.class, () -> read(type, json)).getMessage();
    }
}
