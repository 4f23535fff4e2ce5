package dev.meridian.local.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a {@code LocalKafka}, {@code LocalRedis} or {@code LocalPostgres} field of a {@code @QuarkusTest} that the
 * matching test resource fills in, so a test can stop and restart that server (outage tests).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface InjectLocalServer {
}
