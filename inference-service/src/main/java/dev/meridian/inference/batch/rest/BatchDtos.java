package dev.meridian.inference.batch.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.meridian.inference.batch.Batch;
import dev.meridian.inference.batch.BatchFile;
import dev.meridian.inference.batch.service.BatchPlan;
import dev.meridian.inference.batch.service.BatchService.BatchState;
import dev.meridian.inference.job.Job;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Bodies of /v1/files and /v1/batches, in OpenAI's shapes (times in Unix seconds). */
public final class BatchDtos {

    private BatchDtos() {
    }

    public record CreateBatch(@JsonProperty("input_file_id") String inputFileId, String endpoint,
                              @JsonProperty("completion_window") String completionWindow,
                              Map<String, String> metadata) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record FileView(String id, String object, long bytes, @JsonProperty("created_at") long createdAt,
                           String filename, String purpose, String status) {

        static FileView of(BatchFile file) {
            return new FileView(file.id, "file", file.bytes, file.createdAt.getEpochSecond(), file.filename,
                    file.purpose, "processed");
        }
    }

    public record DeletedFile(String id, String object, boolean deleted) {
    }

    /** OpenAI's list shape, for files and batches. */
    public record Page<T>(String object, List<T> data, @JsonProperty("first_id") String firstId,
                          @JsonProperty("last_id") String lastId, @JsonProperty("has_more") boolean hasMore) {

        /** A page of {@code limit} from {@code rows} (up to limit + 1 fetched: one more means there are more). */
        static <R, T> Page<T> of(List<R> rows, int limit, Function<R, T> view, Function<T, String> id) {
            List<T> shown = rows.stream().limit(limit).map(view).toList();
            return new Page<>("list", shown, shown.isEmpty() ? null : id.apply(shown.get(0)),
                    shown.isEmpty() ? null : id.apply(shown.get(shown.size() - 1)), rows.size() > limit);
        }
    }

    public record RequestCounts(int total, int completed, int failed) {
    }

    public record Errors(String object, List<BatchPlan.FileError> data) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record BatchView(String id, String object, String endpoint, String model, Errors errors,
                            @JsonProperty("input_file_id") String inputFileId,
                            @JsonProperty("completion_window") String completionWindow, String status,
                            @JsonProperty("output_file_id") String outputFileId,
                            @JsonProperty("error_file_id") String errorFileId,
                            @JsonProperty("created_at") long createdAt,
                            @JsonProperty("in_progress_at") Long inProgressAt,
                            @JsonProperty("completed_at") Long completedAt,
                            @JsonProperty("failed_at") Long failedAt,
                            @JsonProperty("cancelling_at") Long cancellingAt,
                            @JsonProperty("cancelled_at") Long cancelledAt,
                            @JsonProperty("request_counts") RequestCounts requestCounts,
                            Map<String, String> metadata) {

        /** The row's status, or while it runs its job's: pending and running are in_progress. */
        static BatchView of(BatchState state) {
            Batch batch = state.batch();
            Job job = state.job();
            BatchPlan plan = state.plan();
            int total = plan.lines().size();
            int refused = (int) plan.refused();
            String status;
            Long completedAt = null;
            Long failedAt = null;
            Long cancelledAt = null;
            Errors errors = null;
            int completed;
            int failed = refused;
            if (batch.status == Batch.Status.FAILED) {
                status = "failed";
                failedAt = seconds(batch.finishedAt);
                errors = new Errors("list", state.errors());
                completed = 0;
            } else if (batch.status == Batch.Status.COMPLETED) {
                status = "completed";
                completedAt = seconds(batch.finishedAt);
                completed = total - refused;
            } else if (job == null) { // its job is gone (deleted by hand): nothing will finish it
                status = "failed";
                failedAt = seconds(batch.createdAt);
                errors = new Errors("list", List.of(new BatchPlan.FileError("job_missing", "the batch's job no"
                        + " longer exists", null, null)));
                completed = 0;
                failed = total;
            } else if (job.status == Job.Status.CANCELLED) {
                status = "cancelled";
                cancelledAt = seconds(job.finishedAt);
                completed = 0;
            } else if (job.status == Job.Status.FAILED) {
                status = "failed";
                failedAt = seconds(job.finishedAt);
                errors = new Errors("list", List.of(new BatchPlan.FileError(job.errorCode, job.errorMessage, null,
                        null)));
                completed = 0;
                failed = total;
            } else {
                status = "in_progress";
                completed = linesDone(plan, job.doneCount);
            }
            return new BatchView(batch.id, "batch", batch.endpoint, plan.model(), errors, batch.inputFileId,
                    batch.completionWindow, status, batch.outputFileId, batch.errorFileId,
                    batch.createdAt.getEpochSecond(), batch.status == Batch.Status.FAILED ? null
                    : seconds(batch.createdAt), completedAt, failedAt,
                    cancelledAt, cancelledAt, new RequestCounts(total, completed, failed), state.metadata());
        }

        /** Lines whose inputs are all among the job's first {@code done}. */
        private static int linesDone(BatchPlan plan, int done) {
            int inputs = 0;
            int lines = 0;
            for (BatchPlan.Line line : plan.lines()) {
                if (line.error() != null) {
                    continue;
                }
                inputs += line.inputs();
                if (inputs > done) {
                    break;
                }
                lines++;
            }
            return lines;
        }

        private static Long seconds(Instant at) {
            return at == null ? null : at.getEpochSecond();
        }
    }
}
