package t2i.gateway;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;
import t2i.pipeline.job.JobStore;
import t2i.pipeline.job.JobTracker;
import t2i.pipeline.job.JobView;
import t2i.v1.JobState;

/**
 * A tenant's view of the jobs: a tenant sees and cancels only its own jobs, and another tenant's
 * job looks exactly like one that does not exist ({@code NOT_FOUND}), so job ids reveal nothing.
 * Thread-safe; owns neither the store nor the tracker.
 */
final class OwnedJobs {

  private static final Logger LOG = Logger.getLogger(OwnedJobs.class);

  static final String CANCEL_REASON = "cancelled by a Cancel request";

  private final JobStore store;
  private final JobTracker tracker;
  private final Duration publishTimeout;

  OwnedJobs(JobStore store, JobTracker tracker, Duration publishTimeout) {
    this.store = store;
    this.tracker = tracker;
    this.publishTimeout = publishTimeout;
  }

  /**
   * @throws io.grpc.StatusRuntimeException INVALID_ARGUMENT for a malformed id, NOT_FOUND if there
   *     is no such job of this tenant (never was, another tenant's, or expired)
   */
  JobView find(String tenant, String jobId) {
    RequestValidator.requireJobId(jobId);
    return store
        .find(jobId)
        .filter(job -> job.spec().getTenant().equals(tenant))
        .orElseThrow(() -> notFound(jobId));
  }

  /**
   * Cancels a job of the tenant: the record says CANCELLED first (stages check it before each piece
   * of work and between denoising steps), then every replica hears of it. A job that has already
   * ended is left as it is.
   *
   * @return the job as it is now
   */
  JobView cancel(String tenant, String jobId) {
    JobView job = find(tenant, jobId);
    if (job.isTerminal()) {
      return job;
    }
    try {
      tracker
          .finish(jobId, JobState.CANCELLED, CANCEL_REASON)
          .get(publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // The record already says CANCELLED; streams catch up from it without the event.
      LOG.warnf(e, "Announcing the cancellation of job %s failed", jobId);
    }
    return store.find(jobId).orElse(job);
  }

  static io.grpc.StatusRuntimeException notFound(String jobId) {
    return RequestValidator.notFound(
        "job "
            + RequestValidator.echo(jobId)
            + " does not exist or its results have expired; results are kept for the configured"
            + " retention (t2i.redis.job-retention)");
  }
}
