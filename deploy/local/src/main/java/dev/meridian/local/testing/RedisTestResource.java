package dev.meridian.local.testing;

import dev.meridian.local.infra.LocalRedis;
import dev.meridian.local.infra.Ports;

import java.nio.file.Path;
import java.util.Map;

/**
 * The embedded state Redis for {@code @QuarkusTest}s: a memory limit without eviction, as state (deny-list, rate
 * limits, token and job bookkeeping) must never be evicted. {@code @InjectLocalServer LocalRedis} fields get this one; the
 * caches (the gateway's responses, inference-service's vectors) have their own, {@link CacheRedisTestResource}.
 */
public class RedisTestResource extends EmbeddedTestResource<LocalRedis> {

    static final String MAXMEMORY = "256mb";

    @Override
    protected LocalRedis create(Path workDir) {
        return new LocalRedis(LocalRedis.NAME, Ports.free(), workDir.resolve("data"), workDir.resolve("redis.log"),
                true, LocalRedis.Memory.noEviction(MAXMEMORY));
    }

    @Override
    protected Map<String, String> config(LocalRedis redis) {
        return Map.of("quarkus.redis.hosts", redis.address());
    }
}
