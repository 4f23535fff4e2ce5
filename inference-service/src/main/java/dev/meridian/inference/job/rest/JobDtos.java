package dev.meridian.inference.job.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.meridian.events.inference.JobType;
import dev.meridian.inference.collection.service.DocumentInput;
import dev.meridian.inference.job.Job;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** Bodies of /v1/jobs. */
public final class JobDtos {

    private JobDtos() {
    }

    /** embed_batch takes inputs; index_documents takes documents and the collection they go to. */
    public record CreateJob(JobType type, String model, List<String> inputs, List<DocumentInput> documents,
                            String collection, Boolean truncate) {
    }

    /** What an index_documents job left: the documents it stored. */
    public record IndexResult(String object, String collection, int documents) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record JobView(UUID id, String object, String type, String model, String collection, String status,
                          Progress progress,
                          int attempts, @JsonProperty("created_at") Instant createdAt,
                          @JsonProperty("started_at") Instant startedAt,
                          @JsonProperty("finished_at") Instant finishedAt, JobError error) {

        static JobView of(Job job) {
            return new JobView(job.id, "job", job.type, job.qualifiedModel(), job.collection,
                    job.status.name().toLowerCase(), new Progress(job.doneCount, job.itemCount), job.attempts,
                    job.createdAt, job.startedAt, job.finishedAt,
                    job.errorCode == null ? null : new JobError(job.errorCode, job.errorMessage));
        }
    }

    public record Progress(int done, int total) {
    }

    public record JobError(String code, String message) {
    }

    public record JobList(String object, List<JobView> data, @JsonProperty("has_more") boolean hasMore,
                          @JsonProperty("next_cursor") String nextCursor) {
    }
}
