package t2i.gateway;

import io.grpc.Status;
import t2i.pipeline.failure.Failures;
import t2i.pipeline.job.JobView;

/**
 * The status that ends a stream of a job that did not succeed, chosen so that a client's retry
 * policy does the right thing: codes clients retry (UNAVAILABLE) only where t2i itself failed.
 */
final class JobOutcomes {

  private JobOutcomes() {}

  /**
   * CANCELLED for a cancelled job, DEADLINE_EXCEEDED for an expired one; for a failed one
   * UNAVAILABLE when t2i failed internally (submitting again may work) and FAILED_PRECONDITION when
   * the job failed for its own reason (submitting it unchanged fails again).
   */
  static Status status(JobView view) {
    String reason = view.reason().isEmpty() ? "" : ": " + view.reason();
    String job = "job " + view.spec().getJobId();
    return switch (view.state()) {
      case CANCELLED -> Status.CANCELLED.withDescription(job + " was cancelled" + reason);
      case EXPIRED -> Status.DEADLINE_EXCEEDED.withDescription(job + " expired" + reason);
      default ->
          Failures.isInternalError(view.reason())
              ? Status.UNAVAILABLE.withDescription(job + " failed" + reason)
              : Status.FAILED_PRECONDITION.withDescription(job + " failed" + reason);
    };
  }
}
