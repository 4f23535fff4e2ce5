package dev.meridian.events;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Backward compatibility and schema sync: the checked-in v1 fixtures still validate and still deserialize, and what
 * today's code writes validates against the published schema, field for field.
 */
class EventContractTest {

    @ParameterizedTest
    @EnumSource(EventType.class)
    void v1FixtureValidatesAgainstItsSchemaAndTodaysCodeStillReadsIt(EventType type) throws Exception {
        String fixture = "fixtures/v1/" + type.payloadClass().getSimpleName() + ".json";
        byte[] bytes = Schemas.bytes(fixture);
        assertEquals(Set.of(), Schemas.validate(type, Schemas.JSON.readTree(bytes)), fixture + " violates its schema");

        MeridianEvent event = EventSerde.deserialize(bytes, type.payloadClass());
        String aggregateId = type.topic().equals(Topics.USERS) ? "userId" : "jobId";
        assertEquals(Schemas.JSON.readTree(bytes).get(aggregateId).asText(), event.subject(),
                "the subject (Kafka key) must be the aggregate id");
        // re-serialising loses nothing the fixture carried
        JsonNode again = Schemas.JSON.readTree(EventSerde.serialize(event));
        Schemas.JSON.readTree(bytes).fieldNames().forEachRemaining(field -> assertTrue(again.has(field),
                type + " dropped field " + field));
    }

    @ParameterizedTest
    @EnumSource(EventType.class)
    void schemaDescribesExactlyTheFieldsTheCodeWrites(EventType type) {
        JsonNode schema = Schemas.schemaOf(type);
        Set<String> schemaFields = new TreeSet<>();
        schema.get("properties").fieldNames().forEachRemaining(schemaFields::add);
        Set<String> recordFields = Arrays.stream(type.payloadClass().getRecordComponents())
                .map(c -> c.getName()).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(recordFields, schemaFields, type.schemaResource() + " is out of sync with "
                + type.payloadClass().getSimpleName());
    }

    @ParameterizedTest
    @EnumSource(EventType.class)
    void whatTheCodeWritesValidates(EventType type) throws Exception {
        MeridianEvent fromFixture = EventSerde.deserialize(
                Schemas.bytes("fixtures/v1/" + type.payloadClass().getSimpleName() + ".json"), type.payloadClass());
        JsonNode written = Schemas.JSON.readTree(EventSerde.serialize(fromFixture));
        assertEquals(Set.of(), Schemas.validate(type, written));
    }
}
