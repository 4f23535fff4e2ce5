package dev.meridian.events;

/** A v1 event payload. The subject is the aggregate id: it becomes the Kafka key and the CloudEvents subject. */
public interface MeridianEvent {

    String subject();
}
