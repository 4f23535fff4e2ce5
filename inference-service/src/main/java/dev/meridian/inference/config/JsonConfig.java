package dev.meridian.inference.config;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

/**
 * Float-format embeddings are hundreds of floats per input; Jackson's Schubfach writer prints them several times
 * faster than Float.toString, which otherwise costs the event loops a large share of a core under load.
 */
@Singleton
public class JsonConfig implements ObjectMapperCustomizer {

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.configure(JsonGenerator.Feature.USE_FAST_DOUBLE_WRITER, true);
    }
}
