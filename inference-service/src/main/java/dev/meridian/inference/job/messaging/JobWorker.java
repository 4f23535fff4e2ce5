package dev.meridian.inference.job.messaging;

import dev.meridian.events.EventEnvelope;
import dev.meridian.events.MeridianEvent;
import dev.meridian.events.inference.InferenceJobRequested;
import dev.meridian.inference.job.service.JobRunner;
import dev.meridian.inference.messaging.IncomingEvents;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import java.time.Duration;

/**
 * Consumes inference.jobs.v1 in the consumer group {@code inference-workers}: instances share the partitions, and an
 * offset is committed only once its job is settled, so a worker killed mid-job leaves the job to the next one. A
 * message that cannot be read, or names no job, is nacked to inference.jobs.v1.dlq with the reason; a job that keeps
 * failing for transient reasons is retried twice with backoff, then failed (with its event), never left hanging.
 */
@ApplicationScoped
public class JobWorker {

    public static final String CHANNEL = "jobs-in";
    private static final Logger LOG = Logger.getLogger(JobWorker.class);

    private final JobRunner runner;

    public JobWorker(JobRunner runner) {
        this.runner = runner;
    }

    @Incoming(CHANNEL)
    public Uni<Void> consume(Message<byte[]> message) {
        InferenceJobRequested request;
        try {
            EventEnvelope<MeridianEvent> envelope = IncomingEvents.decode(message);
            if (!(envelope.data() instanceof InferenceJobRequested requested)) {
                throw new IllegalArgumentException("unexpected event type " + envelope.type());
            }
            request = requested;
        } catch (RuntimeException e) {
            LOG.warnf("unreadable job message sent to the dead-letter topic: %s", e.getMessage());
            return Uni.createFrom().completionStage(message.nack(e));
        }
        return runner.run(request.jobId())
                .onFailure(e -> !(e instanceof JobRunner.UnknownJobException))
                .retry().withBackOff(Duration.ofSeconds(1), Duration.ofSeconds(10)).atMost(2)
                .onFailure(e -> !(e instanceof JobRunner.UnknownJobException))
                .recoverWithUni(e -> {
                    LOG.errorf(e, "job %s failed after retries", request.jobId());
                    return runner.giveUp(request.jobId(), e);
                })
                .flatMap(ignored -> Uni.createFrom().completionStage(message.ack()))
                .onFailure().recoverWithUni(e -> {
                    LOG.warnf("job message for %s sent to the dead-letter topic: %s", request.jobId(), e.getMessage());
                    return Uni.createFrom().completionStage(message.nack(e));
                });
    }
}
