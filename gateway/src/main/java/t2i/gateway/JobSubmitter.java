package t2i.gateway;

import io.grpc.Status;
import java.time.Duration;
import java.time.InstantSource;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;
import t2i.pipeline.job.JobTracker;
import t2i.pipeline.kafka.Publisher;
import t2i.pipeline.v1.JobSpec;
import t2i.pipeline.v1.JobSubmitted;
import t2i.v1.GenerateRequest;
import t2i.v1.JobState;

/**
 * Accepts validated requests as jobs: records the job in Redis, then publishes it and waits until
 * Kafka has it on every in-sync replica. Only then is the job accepted: a caller who gets a job id
 * can rely on the job running. Thread-safe.
 */
final class JobSubmitter {

  private static final Logger LOG = Logger.getLogger(JobSubmitter.class);
  private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(30);

  private final JobTracker tracker;
  private final Publisher publisher;
  private final String jobsTopic;
  private final Duration jobTimeout;
  private final InstantSource clock;

  JobSubmitter(
      JobTracker tracker,
      Publisher publisher,
      String jobsTopic,
      Duration jobTimeout,
      InstantSource clock) {
    this.tracker = tracker;
    this.publisher = publisher;
    this.jobsTopic = jobsTopic;
    this.jobTimeout = jobTimeout;
    this.clock = clock;
  }

  /** Records a job for a resolved request; it is not yet published. */
  JobSpec record(GenerateRequest resolved) {
    long now = clock.millis();
    JobSpec spec =
        JobSpec.newBuilder()
            .setJobId(UUID.randomUUID().toString())
            .setRequest(resolved)
            .setAcceptedAtUnixMs(now)
            .setDeadlineUnixMs(now + jobTimeout.toMillis())
            .build();
    if (!tracker.store().create(spec)) {
      throw Status.INTERNAL.withDescription("job id collision; retry").asRuntimeException();
    }
    return spec;
  }

  /**
   * Publishes a recorded job and blocks until Kafka acknowledges it.
   *
   * @throws io.grpc.StatusRuntimeException UNAVAILABLE if Kafka did not take it; the job is then
   *     marked FAILED
   */
  void publish(JobSpec spec) {
    try {
      publisher
          .send(jobsTopic, spec.getJobId(), JobSubmitted.newBuilder().setSpec(spec).build())
          .get(PUBLISH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw unavailable(spec, e);
    } catch (ExecutionException | TimeoutException e) {
      throw unavailable(spec, e);
    }
  }

  private RuntimeException unavailable(JobSpec spec, Exception cause) {
    LOG.errorf(cause, "Could not queue job %s", spec.getJobId());
    tracker.finish(
        spec.getJobId(), JobState.FAILED, "the job could not be queued; submit it again");
    return Status.UNAVAILABLE
        .withDescription("the job queue is unavailable; retry in a few seconds")
        .asRuntimeException();
  }
}
