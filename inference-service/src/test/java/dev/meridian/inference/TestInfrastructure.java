package dev.meridian.inference;

import dev.meridian.local.testing.CacheRedisTestResource;
import dev.meridian.local.testing.KafkaTestResource;
import dev.meridian.local.testing.PostgresTestResource;
import dev.meridian.local.testing.RedisTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;

/**
 * Embedded PostgreSQL, Redis (state, and the cache Redis that holds the vectors) and Kafka for every @QuarkusTest of
 * this module, started once for the run.
 */
@QuarkusTestResource(value = PostgresTestResource.class, initArgs = @ResourceArg(name = "database", value = "meridian_inference"))
@QuarkusTestResource(RedisTestResource.class)
@QuarkusTestResource(CacheRedisTestResource.class)
@QuarkusTestResource(KafkaTestResource.class)
public class TestInfrastructure {
}
