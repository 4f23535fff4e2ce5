package dev.meridian.local.testing;

import dev.meridian.local.infra.LocalKafka;
import dev.meridian.local.infra.Ports;

import java.nio.file.Path;
import java.util.Map;

/** Embedded single-node KRaft Kafka (own JVM) for {@code @QuarkusTest}s. */
public class KafkaTestResource extends EmbeddedTestResource<LocalKafka> {

    @Override
    protected LocalKafka create(Path workDir) {
        int[] ports = Ports.free(2);
        return new LocalKafka(ports[0], ports[1], workDir.resolve("data"), workDir.resolve("kafka.log"));
    }

    @Override
    protected Map<String, String> config(LocalKafka kafka) {
        return Map.of("kafka.bootstrap.servers", kafka.address());
    }
}
