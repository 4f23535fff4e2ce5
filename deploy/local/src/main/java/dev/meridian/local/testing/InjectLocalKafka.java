package dev.meridian.local.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a {@code LocalKafka} field of a {@code @QuarkusTest} that {@link KafkaTestResource} fills in, so a test can
 * stop and restart the broker (e.g. to prove an outbox survives a Kafka outage).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface InjectLocalKafka {
}
