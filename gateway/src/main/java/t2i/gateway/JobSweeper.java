package t2i.gateway;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;
import t2i.pipeline.job.JobStore;
import t2i.pipeline.job.JobTracker;
import t2i.pipeline.job.JobView;
import t2i.v1.JobState;

/**
 * Ends the jobs nobody else will, so that no job stays unfinished past its deadline: one recorded
 * but never queued (its gateway stopped before Kafka had it, and no retry came) ends FAILED at its
 * deadline; one queued but not ended {@code grace} after its deadline (its stages were away) ends
 * EXPIRED. Every replica sweeps; ending a job is atomic, so two sweeps never disagree. Runs on its
 * own thread, which it owns.
 */
final class JobSweeper implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(JobSweeper.class);
  private static final int BATCH = 500;

  private final JobStore store;
  private final JobTracker tracker;
  private final Duration grace;
  private final Duration interval;
  private final InstantSource clock;
  private final ScheduledExecutorService scheduler;

  /**
   * @param grace how long after a queued job's deadline its stages have to end it themselves
   */
  JobSweeper(
      JobStore store, JobTracker tracker, Duration grace, Duration interval, InstantSource clock) {
    if (interval.toMillis() < 100) {
      throw new IllegalArgumentException("interval must be at least 100ms, was " + interval);
    }
    this.store = store;
    this.tracker = tracker;
    this.grace = grace;
    this.interval = interval;
    this.clock = clock;
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("job-sweeper").daemon(true).factory());
  }

  void start() {
    // sweepQuietly() logs its own failures, and close() ends the schedule with the executor:
    // nothing waits on the future.
    ScheduledFuture<?> unused =
        scheduler.scheduleWithFixedDelay(
            this::sweepQuietly, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void sweepQuietly() {
    try {
      sweep();
    } catch (RuntimeException e) {
      LOG.debugf(e, "Sweeping overdue jobs failed; trying again in %s", interval);
    }
  }

  /** One pass; returns the jobs it ended. */
  List<String> sweep() {
    long now = clock.millis();
    List<String> ended = new ArrayList<>();
    List<String> forget = new ArrayList<>();
    for (String jobId : store.overdue(now, BATCH)) {
      Optional<JobView> found = store.find(jobId);
      if (found.isEmpty() || found.get().isTerminal()) {
        forget.add(jobId);
        continue;
      }
      JobView job = found.get();
      // Each record is ended before finish() returns; streams catch up from it if an announcement
      // is lost, so nothing waits on the futures.
      CompletableFuture<?> unused;
      if (!job.published()) {
        unused =
            tracker.finish(
                jobId,
                JobState.FAILED,
                "The job was recorded but never queued (its gateway stopped or the queue was away)"
                    + " and no retry came before its deadline; submit it again");
      } else if (now >= job.spec().getDeadlineUnixMs() + grace.toMillis()) {
        unused =
            tracker.finish(
                jobId,
                JobState.EXPIRED,
                "The job's deadline passed before the workers could finish it; submit it again when"
                    + " the service is less busy");
      } else {
        continue;
      }
      LOG.infof("Ended overdue job %s", jobId);
      ended.add(jobId);
      forget.add(jobId);
    }
    store.forgetDeadlines(forget);
    return ended;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
