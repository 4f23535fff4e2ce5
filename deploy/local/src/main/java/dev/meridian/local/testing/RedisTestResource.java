package dev.meridian.local.testing;

import dev.meridian.local.infra.LocalRedis;
import dev.meridian.local.infra.Ports;

import java.nio.file.Path;
import java.util.Map;

/** Embedded Redis for {@code @QuarkusTest}s. */
public class RedisTestResource extends EmbeddedTestResource<LocalRedis> {

    @Override
    protected LocalRedis create(Path workDir) {
        return new LocalRedis(Ports.free(), workDir.resolve("data"), workDir.resolve("redis.log"), true);
    }

    @Override
    protected Map<String, String> config(LocalRedis redis) {
        return Map.of("quarkus.redis.hosts", redis.address());
    }
}
