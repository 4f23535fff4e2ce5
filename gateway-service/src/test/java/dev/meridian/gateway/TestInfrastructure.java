package dev.meridian.gateway;

import dev.meridian.local.testing.RedisTestResource;
import io.quarkus.test.common.QuarkusTestResource;

/** Embedded Redis and the echo upstream (standing in for user-service and inference-service) for every @QuarkusTest. */
@QuarkusTestResource(RedisTestResource.class)
@QuarkusTestResource(EchoUpstreamResource.class)
public class TestInfrastructure {
}
