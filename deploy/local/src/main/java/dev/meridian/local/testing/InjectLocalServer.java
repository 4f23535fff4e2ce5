package dev.meridian.local.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a {@code LocalKafka}, {@code LocalRedis}, {@code LocalCacheRedis} or {@code LocalPostgres} field of a
 * {@code @QuarkusTest} that the matching test resource fills in, so a test can stop and restart that server (outage
 * tests). The field's type must be the server's class itself: a {@code LocalRedis} field gets the state Redis, never
 * the cache Redis.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface InjectLocalServer {
}
