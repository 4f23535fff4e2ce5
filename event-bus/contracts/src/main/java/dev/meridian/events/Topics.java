package dev.meridian.events;

import java.util.List;

/** Kafka topics of the v1 contracts. Each has a {@code .dlq} twin that receives poison messages with the reason. */
public final class Topics {

    /** UserRegistered, UserUpdated, UserErased; key = user id, so one user's events stay ordered. */
    public static final String USERS = "users.v1";
    /** InferenceJobRequested; key = job id. */
    public static final String INFERENCE_JOBS = "inference.jobs.v1";
    /** InferenceJobCompleted, InferenceJobFailed, InferenceJobCancelled; key = job id. */
    public static final String INFERENCE_RESULTS = "inference.results.v1";

    public static final String DLQ_SUFFIX = ".dlq";
    public static final String USERS_DLQ = USERS + DLQ_SUFFIX;
    public static final String INFERENCE_JOBS_DLQ = INFERENCE_JOBS + DLQ_SUFFIX;
    public static final String INFERENCE_RESULTS_DLQ = INFERENCE_RESULTS + DLQ_SUFFIX;

    public static final List<String> ALL = List.of(
            USERS, USERS_DLQ, INFERENCE_JOBS, INFERENCE_JOBS_DLQ, INFERENCE_RESULTS, INFERENCE_RESULTS_DLQ);

    private Topics() {
    }

    public static String dlq(String topic) {
        return topic + DLQ_SUFFIX;
    }
}
