package dev.meridian.local.testing;

import dev.meridian.local.infra.LocalCacheRedis;
import dev.meridian.local.infra.Ports;

import java.nio.file.Path;
import java.util.Map;

/**
 * The embedded cache Redis for {@code @QuarkusTest}s: the Quarkus Redis client named {@code cache}
 * ({@code quarkus.redis.cache.hosts}), kept small (8 MB, {@code allkeys-lru}) so a test can fill it and see eviction.
 * {@code @InjectLocalServer LocalCacheRedis} fields get this one; {@code LocalRedis} fields get the state Redis of
 * {@link RedisTestResource}.
 */
public class CacheRedisTestResource extends EmbeddedTestResource<LocalCacheRedis> {

    /** The name of the Quarkus Redis client the cache uses. */
    public static final String CLIENT = "cache";
    static final String MAXMEMORY = "8mb";

    @Override
    protected LocalCacheRedis create(Path workDir) {
        return new LocalCacheRedis(Ports.free(), workDir.resolve("data"), workDir.resolve("redis-cache.log"),
                MAXMEMORY);
    }

    @Override
    protected Map<String, String> config(LocalCacheRedis redis) {
        return Map.of("quarkus.redis." + CLIENT + ".hosts", redis.address());
    }
}
