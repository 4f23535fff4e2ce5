package dev.meridian.local.testing;

import dev.meridian.local.infra.LocalCacheRedis;
import dev.meridian.local.infra.LocalRedis;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The state and the cache Redis test resources: their settings, and which {@code @InjectLocalServer} field gets which.
 */
class RedisTestResourcesTest {

    /** What a test class declares. */
    static class SomeTest {
        @InjectLocalServer
        LocalRedis state;
        @InjectLocalServer
        LocalCacheRedis cache;
        LocalRedis notAnnotated;
    }

    @Test
    void aLocalRedisFieldGetsTheStateRedisAndALocalCacheRedisFieldTheCacheRedis() throws Exception {
        RedisTestResource stateResource = new RedisTestResource();
        CacheRedisTestResource cacheResource = new CacheRedisTestResource();
        try {
            Map<String, String> stateConfig = stateResource.start();
            Map<String, String> cacheConfig = cacheResource.start();
            assertEquals(Map.of("quarkus.redis.hosts", stateConfig.get("quarkus.redis.hosts")), stateConfig);
            assertEquals(Map.of("quarkus.redis.cache.hosts", cacheConfig.get("quarkus.redis.cache.hosts")),
                    cacheConfig);
            assertTrue(cacheConfig.get("quarkus.redis.cache.hosts").startsWith("redis://127.0.0.1:"),
                    cacheConfig.toString());

            SomeTest test = new SomeTest();
            // in either order, no resource overwrites the other's field
            for (var resource : List.of(stateResource, cacheResource, stateResource)) {
                resource.inject((value, predicate) -> {
                    for (Field field : SomeTest.class.getDeclaredFields()) {
                        if (predicate.test(field)) {
                            try {
                                field.set(test, value);
                            } catch (IllegalAccessException e) {
                                throw new IllegalStateException(e);
                            }
                        }
                    }
                });
            }
            assertSame(LocalRedis.class, test.state.getClass());
            assertEquals("redis", test.state.name());
            assertEquals(LocalRedis.Memory.noEviction("256mb"), test.state.memory());
            assertEquals(stateConfig.get("quarkus.redis.hosts"), test.state.address());
            assertEquals("redis-cache", test.cache.name());
            assertEquals(LocalRedis.Memory.allKeysLru("8mb"), test.cache.memory());
            assertEquals(cacheConfig.get("quarkus.redis.cache.hosts"), test.cache.address());
            assertNotSame(test.state, test.cache);
            assertNull(test.notAnnotated);
            assertTrue(test.state.isReady() && test.cache.isReady());
        } finally {
            cacheResource.stop();
            stateResource.stop();
        }
    }
}
