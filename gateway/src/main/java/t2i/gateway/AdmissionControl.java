package t2i.gateway;

import java.time.Duration;
import java.util.OptionalLong;

/**
 * Admits new jobs only while the workers keep up: once {@code maxQueuedJobs} accepted jobs wait
 * ahead of the diffusion workers, new jobs are refused with {@code RESOURCE_EXHAUSTED}, for every
 * tenant, until the backlog shrinks. The backlog is measured in the background ({@link
 * BacklogMonitor}); this check costs nothing on the request path. While the backlog is unknown
 * (Kafka unreachable), jobs are admitted: publishing them will fail on its own and say so.
 * Thread-safe.
 */
final class AdmissionControl {

  private final Backlog backlog;
  private final long maxQueuedJobs;
  private final Duration retryAfter;

  AdmissionControl(Backlog backlog, long maxQueuedJobs, Duration retryAfter) {
    if (maxQueuedJobs < 1) {
      throw new IllegalArgumentException("maxQueuedJobs must be positive, was " + maxQueuedJobs);
    }
    this.backlog = backlog;
    this.maxQueuedJobs = maxQueuedJobs;
    this.retryAfter = retryAfter;
  }

  /**
   * @throws io.grpc.StatusRuntimeException RESOURCE_EXHAUSTED if the workers are too far behind
   */
  void checkCapacity() {
    OptionalLong queued = backlog.queuedJobs();
    if (queued.isPresent() && queued.getAsLong() >= maxQueuedJobs) {
      throw Refusals.resourceExhausted(
          Refusals.Reason.QUEUE_FULL,
          "the service is busy: "
              + queued.getAsLong()
              + " jobs are waiting for the workers, the most allowed is "
              + maxQueuedJobs
              + " (t2i.gateway.admission.max-queued-jobs); retry later",
          retryAfter);
    }
  }
}
