package dev.meridian.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** asyncapi.yaml describes every topic and every event the code knows, with the right headers and schemas. */
class AsyncApiContractTest {

    private static final JsonNode DOC = load();

    @Test
    void isAsyncApi3AndDescribesEveryTopic() {
        assertEquals("3.0.0", DOC.get("asyncapi").asText());
        Set<String> addresses = new TreeSet<>();
        DOC.get("channels").forEach(channel -> addresses.add(channel.get("address").asText()));
        assertEquals(new TreeSet<>(Topics.ALL), addresses);
    }

    @ParameterizedTest
    @EnumSource(EventType.class)
    void everyEventIsAMessageOnItsTopicAndItsDeadLetterTopic(EventType type) {
        String name = type.payloadClass().getSimpleName();
        assertEquals(List.of(type.topic()), channelsCarrying(name));
        assertEquals(List.of(Topics.dlq(type.topic())), channelsCarrying(name + "DeadLetter"));

        JsonNode message = DOC.at("/components/messages/" + name);
        assertEquals("./" + type.schemaResource(), message.at("/payload/$ref").asText());
        assertNotNull(Schemas.schemaOf(type), "payload schema file missing");
        List<String> ceTypes = new ArrayList<>();
        message.at("/headers/allOf").forEach(part -> {
            if (part.has("properties")) {
                ceTypes.add(part.at("/properties/ce_type/const").asText());
            }
        });
        assertEquals(List.of(type.ceType()), ceTypes);
    }

    @Test
    void headerSchemaListsTheCloudEventsHeadersTheCodeWrites() {
        JsonNode required = DOC.at("/components/schemas/CloudEventHeaders/required");
        Set<String> documented = new TreeSet<>();
        required.forEach(node -> documented.add(node.asText()));
        assertEquals(new TreeSet<>(Set.of(CloudEventsKafka.CE_SPECVERSION, CloudEventsKafka.CE_ID,
                CloudEventsKafka.CE_SOURCE, CloudEventsKafka.CE_TYPE, CloudEventsKafka.CE_TIME,
                CloudEventsKafka.CE_SUBJECT, CloudEventsKafka.HEADER_CONTENT_TYPE)), documented);
        assertTrue(DOC.at("/components/schemas/CloudEventHeaders/properties").has(CloudEventsKafka.TRACEPARENT));
    }

    private static List<String> channelsCarrying(String messageName) {
        List<String> addresses = new ArrayList<>();
        DOC.get("channels").forEach(channel -> {
            JsonNode ref = channel.at("/messages/" + messageName + "/$ref");
            if (!ref.isMissingNode()) {
                assertEquals("#/components/messages/" + messageName, ref.asText());
                addresses.add(channel.get("address").asText());
            }
        });
        return addresses;
    }

    private static JsonNode load() {
        try (InputStream in = AsyncApiContractTest.class.getClassLoader().getResourceAsStream("asyncapi.yaml")) {
            return new ObjectMapper(new YAMLFactory()).readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
