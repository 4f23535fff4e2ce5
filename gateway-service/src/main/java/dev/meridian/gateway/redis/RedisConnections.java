package dev.meridian.gateway.redis;

import dev.meridian.gateway.config.GatewayConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.client.RedisClientName;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import io.vertx.redis.client.Redis;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.Optional;

/**
 * The gateway's two Redis servers, each with its own health probe and request-path pipeline: the state Redis (the
 * default client: rate limits, deny-list), which never evicts, and the cache Redis ({@code quarkus.redis.cache.*}:
 * stored answers), which evicts least-recently-used entries at its memory limit. A flood of cache entries can then
 * never evict or block state.
 */
@Singleton
public class RedisConnections {

    public static final String CACHE = "cache";
    private static final String STANDALONE = "standalone";

    @Produces
    @Singleton
    RedisHealth stateHealth(GatewayConfig config, @ConfigProperty(name = "quarkus.redis.hosts") String hosts,
                            @ConfigProperty(name = "quarkus.redis.client-type", defaultValue = STANDALONE)
                            String clientType,
                            @ConfigProperty(name = "quarkus.redis.password") Optional<String> password,
                            MeterRegistry meters) {
        return new RedisHealth("state", hosts, clientType, password, config, meters);
    }

    @Produces
    @Singleton
    @Identifier(CACHE)
    RedisHealth cacheHealth(GatewayConfig config, @ConfigProperty(name = "quarkus.redis.cache.hosts") String hosts,
                            @ConfigProperty(name = "quarkus.redis.cache.client-type", defaultValue = STANDALONE)
                            String clientType,
                            @ConfigProperty(name = "quarkus.redis.cache.password") Optional<String> password,
                            MeterRegistry meters) {
        return new RedisHealth(CACHE, hosts, clientType, password, config, meters);
    }

    @Produces
    @Singleton
    RedisPipeline statePipeline(Redis redis, RedisHealth health, GatewayConfig config) {
        return new RedisPipeline(redis, health, config);
    }

    @Produces
    @Singleton
    @Identifier(CACHE)
    RedisPipeline cachePipeline(@RedisClientName(CACHE) Redis redis, @Identifier(CACHE) RedisHealth health,
                                GatewayConfig config) {
        return new RedisPipeline(redis, health, config);
    }

    /** Both probes run from the start, so the first requests already know whether each Redis answers. */
    void start(@Observes StartupEvent event, RedisHealth state, @Identifier(CACHE) RedisHealth cache) {
    }

    void close(@Disposes RedisHealth health) {
        health.close();
    }

    void closeCache(@Disposes @Identifier(CACHE) RedisHealth health) {
        health.close();
    }
}
