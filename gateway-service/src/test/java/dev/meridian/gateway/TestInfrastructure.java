package dev.meridian.gateway;

import dev.meridian.local.testing.CacheRedisTestResource;
import dev.meridian.local.testing.RedisTestResource;
import io.quarkus.test.common.QuarkusTestResource;

/**
 * Embedded Redis (state, and the response cache's own) and the echo upstream (standing in for user-service and
 * inference-service) for every @QuarkusTest.
 */
@QuarkusTestResource(RedisTestResource.class)
@QuarkusTestResource(CacheRedisTestResource.class)
@QuarkusTestResource(EchoUpstreamResource.class)
public class TestInfrastructure {
}
