package dev.meridian.local.testing;

import dev.meridian.local.infra.LocalCacheRedis;
import dev.meridian.local.infra.LocalRedis;
import dev.meridian.local.infra.LocalRedisCluster;
import dev.meridian.local.infra.LocalServer;
import dev.meridian.local.infra.Ports;

import java.nio.file.Path;
import java.util.Map;

/**
 * The embedded cache Redis for {@code @QuarkusTest}s: the Quarkus Redis client named {@code cache}
 * ({@code quarkus.redis.cache.hosts}), kept small (8 MB, {@code allkeys-lru}) so a test can fill it and see eviction.
 * {@code @InjectLocalServer LocalCacheRedis} fields get this one; {@code LocalRedis} fields get the state Redis of
 * {@link RedisTestResource}. In the {@code redis-cluster} test runs (see {@link RedisTestResource}) it is a cluster of
 * three masters without replicas (a lost cache node costs only recomputation), injected nowhere.
 */
public class CacheRedisTestResource extends EmbeddedTestResource<LocalServer> {

    /** The name of the Quarkus Redis client the cache uses. */
    public static final String CLIENT = "cache";
    static final String MAXMEMORY = "8mb";

    @Override
    protected LocalServer create(Path workDir) {
        if (RedisTestResource.cluster()) {
            return new LocalRedisCluster(LocalCacheRedis.NAME, Ports.freeWithClusterBus(3), 3, workDir.resolve("data"),
                    workDir, false, LocalRedis.Memory.allKeysLru(MAXMEMORY), RedisTestResource.NODE_TIMEOUT);
        }
        return new LocalCacheRedis(Ports.free(), workDir.resolve("data"), workDir.resolve("redis-cache.log"),
                MAXMEMORY);
    }

    @Override
    protected Map<String, String> config(LocalServer redis) {
        return RedisTestResource.cluster()
                ? Map.of("quarkus.redis." + CLIENT + ".hosts", redis.address(),
                        "quarkus.redis." + CLIENT + ".client-type", "cluster")
                : Map.of("quarkus.redis." + CLIENT + ".hosts", redis.address());
    }

    @Override
    public void inject(TestInjector testInjector) {
        if (!RedisTestResource.cluster()) {
            super.inject(testInjector);
        }
    }
}
