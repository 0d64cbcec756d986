package t2i.gateway;

import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.trace.Span;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.jboss.logging.Logger;
import t2i.pipeline.job.JobTracker;
import t2i.pipeline.job.QueuePlace;
import t2i.pipeline.kafka.Publisher;
import t2i.pipeline.telemetry.JobTraces;
import t2i.pipeline.v1.JobSpec;
import t2i.v1.JobState;

/**
 * Publishes recorded jobs (see {@link FirstHop}) and waits until Kafka has them on every in-sync
 * replica. Only then is a job accepted: a caller who gets a job id can rely on the job running. A
 * publish that is acknowledged is noted on the job's record, so that a retried request publishes
 * only a job that Kafka may not have. Thread-safe.
 */
final class JobSubmitter {

  private static final Logger LOG = Logger.getLogger(JobSubmitter.class);

  private final JobTracker tracker;
  private final Publisher publisher;
  private final FirstHop firstHop;
  private final Duration publishTimeout;
  private final JobTraces traces;
  private final Counter submitted;

  JobSubmitter(
      JobTracker tracker,
      Publisher publisher,
      FirstHop firstHop,
      Duration publishTimeout,
      JobTraces traces,
      MeterRegistry meters) {
    this.tracker = tracker;
    this.publisher = publisher;
    this.firstHop = firstHop;
    this.publishTimeout = publishTimeout;
    this.traces = traces;
    this.submitted =
        Counter.builder("t2i.gateway.jobs.submitted")
            .description("Jobs the gateway queued (acknowledged by Kafka)")
            .register(meters);
  }

  /**
   * Publishes a recorded job and blocks until Kafka acknowledges it.
   *
   * @throws io.grpc.StatusRuntimeException UNAVAILABLE if Kafka did not take it in time; the job
   *     stays recorded and unpublished
   */
  void publish(JobSpec spec) {
    // The job's trace starts here, under the gRPC call's span when there is one; the record
    // carries it to the first stage.
    Span span = traces.startJob("gateway submit", spec.getJobId());
    RecordMetadata sent;
    try {
      sent =
          publisher
              .send(firstHop.topic(), spec.getJobId(), firstHop.record().apply(spec))
              .get(publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      traces.end(spec.getJobId(), span, e);
      throw unavailable(spec, e);
    } catch (ExecutionException | TimeoutException e) {
      traces.end(spec.getJobId(), span, e);
      throw unavailable(spec, e);
    }
    traces.end(spec.getJobId(), span, null);
    submitted.increment();
    try {
      tracker
          .store()
          .markPublished(
              spec.getJobId(),
              new QueuePlace(sent.topic(), sent.partition(), sent.offset(), JobState.QUEUED));
    } catch (RuntimeException e) {
      // Kafka has the job; at worst a retried request publishes it again, which stages skip.
      LOG.warnf(e, "Job %s is queued, but noting it on its record failed", spec.getJobId());
    }
  }

  /** Ends a recorded job that will not be published, so that nothing waits for it. */
  void abandon(JobSpec spec, String reason) {
    // The record is ended before finish() returns; streams catch up from it if the announcement
    // is lost, so nothing waits on the future.
    CompletableFuture<?> unused = tracker.finish(spec.getJobId(), JobState.FAILED, reason);
  }

  private static RuntimeException unavailable(JobSpec spec, Exception cause) {
    LOG.warnf("Could not queue job %s: %s", spec.getJobId(), cause.toString());
    return Status.UNAVAILABLE
        .withDescription(
            "the job queue did not take the job in time; retry in a few seconds (with the same"
                + " request_id, the retry queues this job instead of a new one)")
        .asRuntimeException();
  }
}
