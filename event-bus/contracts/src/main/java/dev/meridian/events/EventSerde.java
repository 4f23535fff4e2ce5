package dev.meridian.events;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.io.IOException;
import java.util.stream.Collectors;

/**
 * JSON for event payloads. Reading is strict about what is there (types, required fields, well-formed JSON) and
 * tolerant of what is new (unknown fields are ignored, so producers can add fields without breaking consumers).
 * It never returns null: anything that is not a valid event is an {@link EventFormatException} saying why.
 */
public final class EventSerde {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build();

    private EventSerde() {
    }

    public static byte[] serialize(MeridianEvent event) {
        try {
            return MAPPER.writeValueAsBytes(event);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + event.getClass().getSimpleName(), e);
        }
    }

    public static <T extends MeridianEvent> T deserialize(byte[] payload, Class<T> type) {
        String what = type.getSimpleName() + " payload";
        if (payload == null || payload.length == 0) {
            throw new EventFormatException("empty " + what);
        }
        try {
            T event = MAPPER.readValue(payload, type);
            if (event == null) {
                throw new EventFormatException(what + " is JSON null, expected an object");
            }
            return event;
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause();
            if (cause instanceof NullPointerException && cause.getMessage() != null) {
                throw new EventFormatException("invalid " + what + ": missing required field '" + cause.getMessage() + "'", e);
            }
            throw new EventFormatException("invalid " + what + ": " + (cause == null ? e.getOriginalMessage() : cause.getMessage()), e);
        } catch (MismatchedInputException e) {
            throw new EventFormatException("invalid " + what + ": field '" + path(e) + "' has the wrong type or shape ("
                    + e.getOriginalMessage().lines().findFirst().orElse("") + ")", e);
        } catch (JsonMappingException e) {
            if (e.getCause() instanceof StreamReadException syntax) {
                // a syntax error met while binding a field is still malformed JSON, not a wrong value
                throw new EventFormatException("malformed JSON in " + what + ": " + syntax.getOriginalMessage(), e);
            }
            throw new EventFormatException("invalid " + what + " at '" + path(e) + "': " + e.getOriginalMessage(), e);
        } catch (JacksonException e) {
            throw new EventFormatException("malformed JSON in " + what + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new EventFormatException("unreadable " + what, e);
        }
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining("."));
    }
}
