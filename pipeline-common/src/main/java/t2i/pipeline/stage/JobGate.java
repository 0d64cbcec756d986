package t2i.pipeline.stage;

import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;
import t2i.pipeline.job.JobStates;
import t2i.pipeline.job.JobStore;
import t2i.pipeline.job.JobTracker;
import t2i.pipeline.telemetry.Telemetry;
import t2i.pipeline.v1.JobSpec;
import t2i.v1.JobState;

/**
 * The check every stage makes before spending work on a job. A job is skipped when it has ended
 * (finished, cancelled, expired) or is already past this stage (a later stage has it, or this stage
 * already handed it on): a redelivered message then costs nothing and produces no second output. A
 * job past its deadline is ended EXPIRED instead of computed for nobody. A job whose record Redis
 * lost goes ahead: the stage's first write recreates the record from the message.
 */
final class JobGate {

  private static final Logger LOG = Logger.getLogger(JobGate.class);

  private final JobTracker tracker;
  private final InstantSource clock;
  private final StageMetrics metrics;
  private final AtomicLong duplicatesSkipped = new AtomicLong();

  public JobGate(JobTracker tracker, InstantSource clock) {
    this(tracker, clock, StageMetrics.create(Telemetry.none().meters(), "unmeasured"));
  }

  /** A gate that counts its skips in the stage's {@code metrics}. */
  public JobGate(JobTracker tracker, InstantSource clock, StageMetrics metrics) {
    this.tracker = tracker;
    this.clock = clock;
    this.metrics = metrics;
  }

  /**
   * Returns empty if the stage should work on the job; otherwise a future that completes once the
   * skip is recorded (for an expired job, once EXPIRED is recorded and announced).
   *
   * @param stage the stage's name, for reasons and logs
   * @param stageState the state the stage puts the job in while it works on it
   * @param redo whether a later stage asked for this stage's work again (it lost its input): then
   *     only an ended job is skipped
   */
  public Optional<CompletableFuture<?>> skipReason(
      JobSpec spec, String stage, JobState stageState, boolean redo) {
    Optional<JobStore.Progress> progress = tracker.store().progress(spec.getJobId());
    if (progress.isPresent()) {
      JobState state = progress.get().state();
      boolean past =
          state.getNumber() > stageState.getNumber()
              || progress.get().handedOff() >= stageState.getNumber();
      Optional<CompletableFuture<?>> skip =
          skip(spec, stage, JobStates.isTerminal(state), past && !redo, state);
      if (skip.isPresent()) {
        return skip;
      }
    }
    return deadlinePassed(spec) ? Optional.of(expire(spec, stage)) : Optional.empty();
  }

  /**
   * As {@link #skipReason}, and a job the stage may work on is moved to {@code stageState} in the
   * same Redis round trip: for stages whose state begins the moment they take a job.
   */
  public Optional<CompletableFuture<?>> enter(
      JobSpec spec, String stage, JobState stageState, boolean redo) {
    if (deadlinePassed(spec)) {
      // Rare: the read-only check, so that an ended job stays as it ended and any other expires.
      return skipReason(spec, stage, stageState, redo);
    }
    JobStore.Entrance entrance = tracker.store().enter(spec, stageState, redo);
    return skip(
        spec,
        stage,
        entrance.entry() == JobStore.Entry.ENDED,
        entrance.entry() == JobStore.Entry.PAST,
        entrance.found());
  }

  private Optional<CompletableFuture<?>> skip(
      JobSpec spec, String stage, boolean ended, boolean past, JobState state) {
    if (ended) {
      LOG.debugf("%s skips job %s: it has ended as %s", stage, spec.getJobId(), state);
      metrics.skippedEnded();
      return Optional.of(CompletableFuture.completedFuture(null));
    }
    if (past) {
      duplicatesSkipped.incrementAndGet();
      metrics.skippedDuplicate();
      LOG.infof(
          "%s skips a second delivery of job %s: it is already past this stage (%s)",
          stage, spec.getJobId(), state);
      return Optional.of(CompletableFuture.completedFuture(null));
    }
    return Optional.empty();
  }

  private boolean deadlinePassed(JobSpec spec) {
    long deadline = spec.getDeadlineUnixMs();
    return deadline > 0 && clock.millis() >= deadline;
  }

  private CompletableFuture<?> expire(JobSpec spec, String stage) {
    return tracker.finish(
        spec,
        JobState.EXPIRED,
        "The job's deadline passed before "
            + stage
            + " could start it; submit it again with a later deadline or when the service is"
            + " less busy");
  }

  /** Deliveries skipped because the job was already past the stage (for tests and metrics). */
  public long duplicatesSkipped() {
    return duplicatesSkipped.get();
  }
}
