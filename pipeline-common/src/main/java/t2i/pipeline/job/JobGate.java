package t2i.pipeline.job;

import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import t2i.pipeline.v1.JobSpec;
import t2i.v1.JobState;

/**
 * The check every stage makes before spending work on a job: a job that already ended (finished,
 * cancelled, expired, or handled by an earlier delivery of the same message) is skipped, and a job
 * past its deadline is ended as EXPIRED instead of computed for nobody.
 */
public final class JobGate {

  private final JobTracker tracker;
  private final InstantSource clock;

  public JobGate(JobTracker tracker, InstantSource clock) {
    this.tracker = tracker;
    this.clock = clock;
  }

  /**
   * Returns empty if the stage should work on the job; otherwise a future that completes once the
   * skip is recorded (for an expired job, once EXPIRED is recorded and announced).
   */
  public Optional<CompletableFuture<?>> skipReason(JobSpec spec, String stage) {
    Optional<JobState> state = tracker.store().state(spec.getJobId());
    if (state.isEmpty() || JobStates.isTerminal(state.get())) {
      // Unknown: its record expired or was never written; nobody can fetch a result.
      return Optional.of(CompletableFuture.completedFuture(null));
    }
    long deadline = spec.getDeadlineUnixMs();
    if (deadline > 0 && clock.millis() >= deadline) {
      return Optional.of(
          tracker.finish(
              spec.getJobId(),
              JobState.EXPIRED,
              "The job's deadline passed before "
                  + stage
                  + " could start it; submit it again with a later deadline or when the service is"
                  + " less busy"));
    }
    return Optional.empty();
  }
}
