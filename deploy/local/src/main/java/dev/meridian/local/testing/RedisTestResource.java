package dev.meridian.local.testing;

import dev.meridian.local.infra.LocalRedis;
import dev.meridian.local.infra.LocalRedisCluster;
import dev.meridian.local.infra.LocalServer;
import dev.meridian.local.infra.Ports;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The embedded state Redis for {@code @QuarkusTest}s: a memory limit without eviction, as state (deny-list, rate
 * limits, token and job bookkeeping) must never be evicted. {@code @InjectLocalServer LocalRedis} fields get this one; the
 * caches (the gateway's responses, inference-service's vectors) have their own, {@link CacheRedisTestResource}.
 * <p>
 * With the system property {@value #MODE_PROPERTY}{@code =cluster} (the {@code redis-cluster} test runs) it is a Redis
 * Cluster instead: three masters, each with a replica, and the services' client in cluster mode;
 * {@code @InjectLocalServer LocalRedisCluster} fields get it.
 */
public class RedisTestResource extends EmbeddedTestResource<LocalServer> {

    public static final String MODE_PROPERTY = "meridian.test.redis";
    static final String MAXMEMORY = "256mb";
    /** Short, so a test sees a replica take over from a killed master within a few seconds. */
    static final Duration NODE_TIMEOUT = Duration.ofSeconds(1);

    static boolean cluster() {
        return "cluster".equals(System.getProperty(MODE_PROPERTY));
    }

    @Override
    protected LocalServer create(Path workDir) {
        LocalRedis.Memory memory = LocalRedis.Memory.noEviction(MAXMEMORY);
        if (cluster()) {
            return new LocalRedisCluster(LocalRedis.NAME, Ports.freeWithClusterBus(6), 3, workDir.resolve("data"),
                    workDir, true, memory, NODE_TIMEOUT);
        }
        return new LocalRedis(LocalRedis.NAME, Ports.free(), workDir.resolve("data"), workDir.resolve("redis.log"),
                true, memory);
    }

    @Override
    protected Map<String, String> config(LocalServer redis) {
        return cluster() ? Map.of("quarkus.redis.hosts", redis.address(), "quarkus.redis.client-type", "cluster")
                : Map.of("quarkus.redis.hosts", redis.address());
    }
}
