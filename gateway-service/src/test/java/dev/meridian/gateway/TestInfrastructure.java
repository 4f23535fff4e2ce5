package dev.meridian.gateway;

import dev.meridian.local.testing.RedisTestResource;
import io.quarkus.test.common.QuarkusTestResource;

/** Embedded Redis and the echo upstream (in place of user-service and inference-service) for every @QuarkusTest here. */
@QuarkusTestResource(RedisTestResource.class)
@QuarkusTestResource(EchoUpstreamResource.class)
public class TestInfrastructure {
}
