package dev.meridian.events;

import dev.meridian.events.inference.InferenceJobCancelled;
import dev.meridian.events.inference.InferenceJobCompleted;
import dev.meridian.events.inference.InferenceJobFailed;
import dev.meridian.events.inference.InferenceJobRequested;
import dev.meridian.events.user.UserErased;
import dev.meridian.events.user.UserRegistered;
import dev.meridian.events.user.UserUpdated;

import java.util.Arrays;
import java.util.Optional;

/** Every v1 event: its CloudEvents type, payload class, topic and JSON Schema (under {@code schemas/}). */
public enum EventType {

    USER_REGISTERED("dev.meridian.user.registered.v1", UserRegistered.class, Topics.USERS),
    USER_UPDATED("dev.meridian.user.updated.v1", UserUpdated.class, Topics.USERS),
    USER_ERASED("dev.meridian.user.erased.v1", UserErased.class, Topics.USERS),
    INFERENCE_JOB_REQUESTED("dev.meridian.inference.job.requested.v1", InferenceJobRequested.class, Topics.INFERENCE_JOBS),
    INFERENCE_JOB_COMPLETED("dev.meridian.inference.job.completed.v1", InferenceJobCompleted.class, Topics.INFERENCE_RESULTS),
    INFERENCE_JOB_FAILED("dev.meridian.inference.job.failed.v1", InferenceJobFailed.class, Topics.INFERENCE_RESULTS),
    INFERENCE_JOB_CANCELLED("dev.meridian.inference.job.cancelled.v1", InferenceJobCancelled.class,
            Topics.INFERENCE_RESULTS);

    private final String ceType;
    private final Class<? extends MeridianEvent> payloadClass;
    private final String topic;

    EventType(String ceType, Class<? extends MeridianEvent> payloadClass, String topic) {
        this.ceType = ceType;
        this.payloadClass = payloadClass;
        this.topic = topic;
    }

    public String ceType() {
        return ceType;
    }

    public Class<? extends MeridianEvent> payloadClass() {
        return payloadClass;
    }

    public String topic() {
        return topic;
    }

    /** Classpath location of the payload's JSON Schema. */
    public String schemaResource() {
        return "schemas/" + payloadClass.getSimpleName() + ".json";
    }

    public static Optional<EventType> ofCeType(String ceType) {
        return Arrays.stream(values()).filter(t -> t.ceType.equals(ceType)).findFirst();
    }

    public static EventType of(MeridianEvent event) {
        return Arrays.stream(values()).filter(t -> t.payloadClass == event.getClass()).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(event.getClass().getName() + " is not a v1 event"));
    }
}
