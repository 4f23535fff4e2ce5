package dev.meridian.inference;

import dev.meridian.inference.embedding.service.EmbeddingCache;
import io.quarkus.redis.client.RedisClientName;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Vectors are cache: they go to the cache Redis (client {@code cache}, evicts least recently used keys), never to the
 * state Redis, which never evicts and would otherwise fill up with them until it refused deny-list and rate-limit
 * writes.
 */
@QuarkusTest
class VectorCacheRedisTest {

    @Inject
    @RedisClientName(EmbeddingCache.REDIS_CLIENT)
    RedisDataSource cacheRedis;

    /** The state Redis (the default client). */
    @Inject
    RedisDataSource stateRedis;

    @Test
    void vectorsAndTheirOwnerRecordLandInTheCacheRedisAndNothingInTheStateRedis() {
        UUID user = UUID.randomUUID();
        String text = "a vector for the cache Redis " + UUID.randomUUID();
        String vector = JobsTest.as(user)
                .body(Map.of("input", text, "model", JobsTest.FP32, "encoding_format", "base64"))
                .post("/v1/embeddings").then().statusCode(200).extract().path("data[0].embedding");

        // the user's record names the one entry, and the entry holds the very bytes that were answered
        String owner = "meridian:emb-owner:v1:" + user;
        Set<String> entries = cacheRedis.set(String.class).smembers(owner);
        assertEquals(1, entries.size(), "owner record in the cache Redis: " + entries);
        String key = entries.iterator().next();
        assertTrue(key.startsWith("meridian:emb:v1:" + JobsTest.FP32 + ":"), key);
        assertArrayEquals(Base64.getDecoder().decode(vector), cacheRedis.value(byte[].class).get(key));
        assertTrue(cacheRedis.key().ttl(key) > 0, "cache entries expire");

        assertFalse(stateRedis.key().exists(key) || stateRedis.key().exists(owner), "vectors written to the state Redis");
        assertEquals(List.of(), stateRedis.key().keys("meridian:emb*"), "vectors in the state Redis");
    }
}
