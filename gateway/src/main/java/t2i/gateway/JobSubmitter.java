package t2i.gateway;

import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;
import t2i.pipeline.job.JobTracker;
import t2i.pipeline.kafka.Publisher;
import t2i.pipeline.v1.JobSpec;
import t2i.pipeline.v1.JobSubmitted;
import t2i.v1.JobState;

/**
 * Records admitted jobs in Redis, then publishes them and waits until Kafka has them on every
 * in-sync replica. Only then is a job accepted: a caller who gets a job id can rely on the job
 * running. Thread-safe.
 */
final class JobSubmitter {

  private static final Logger LOG = Logger.getLogger(JobSubmitter.class);

  private final JobTracker tracker;
  private final Publisher publisher;
  private final String jobsTopic;
  private final Duration publishTimeout;

  JobSubmitter(JobTracker tracker, Publisher publisher, String jobsTopic, Duration publishTimeout) {
    this.tracker = tracker;
    this.publisher = publisher;
    this.jobsTopic = jobsTopic;
    this.publishTimeout = publishTimeout;
  }

  /** Records a job as QUEUED; it is not yet published. */
  void record(JobSpec spec) {
    if (!tracker.store().create(spec)) {
      throw Status.INTERNAL.withDescription("job id collision; retry").asRuntimeException();
    }
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
          .get(publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw unavailable(spec, e);
    } catch (ExecutionException | TimeoutException e) {
      throw unavailable(spec, e);
    }
  }

  /** Ends a recorded job that will not be published, so that nothing waits for it. */
  void abandon(JobSpec spec, String reason) {
    tracker.finish(spec.getJobId(), JobState.FAILED, reason);
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
