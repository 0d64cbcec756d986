package t2i.pipeline.job;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.InstantSource;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import t2i.pipeline.kafka.Publisher;
import t2i.pipeline.telemetry.Buckets;
import t2i.pipeline.telemetry.Telemetry;
import t2i.pipeline.v1.JobEvent;
import t2i.pipeline.v1.JobFinished;
import t2i.pipeline.v1.JobSpec;
import t2i.pipeline.v1.StateChanged;
import t2i.pipeline.v1.StepProgress;
import t2i.v1.JobState;

/**
 * Records what happens to a job and tells whoever is watching: each method first writes the job's
 * record in Redis (the state of record), then publishes a {@code JobEvent} keyed by the job id. The
 * returned future completes when the event is acknowledged. A Redis failure is thrown at once; a
 * Kafka failure fails the future. Images are stored in the job store and announced by the job's
 * end, which carries readers to the record.
 *
 * <p>The methods that take the job's {@link JobSpec} recreate a record that Redis lost. A state
 * change that the store rejects (the job already moved on, or finished) publishes nothing, except
 * that ending a job in the state it already has announces it again: a retry after a failed
 * announcement must not leave watchers without it. Thread-safe; owns neither the store nor the
 * publisher.
 */
public final class JobTracker {

  private final JobStore store;
  private final Publisher publisher;
  private final String eventsTopic;
  private final InstantSource clock;
  // Registered once: a job's end only looks its state up.
  private final Map<JobState, Counter> ended = new EnumMap<>(JobState.class);
  private final Map<JobState, Timer> latency = new EnumMap<>(JobState.class);

  public JobTracker(JobStore store, Publisher publisher, String eventsTopic, InstantSource clock) {
    this(store, publisher, eventsTopic, clock, Telemetry.none().meters());
  }

  /**
   * A tracker that measures the jobs it ends: {@code t2i.jobs.ended} by final state, and, for jobs
   * ended with their spec at hand (every DONE job), {@code t2i.jobs.latency} from acceptance.
   */
  public JobTracker(
      JobStore store,
      Publisher publisher,
      String eventsTopic,
      InstantSource clock,
      MeterRegistry meters) {
    this.store = store;
    this.publisher = publisher;
    this.eventsTopic = eventsTopic;
    this.clock = clock;
    for (JobState state : JobStates.TERMINAL) {
      ended.put(
          state,
          Counter.builder("t2i.jobs.ended")
              .description("Jobs that reached a final state, by that state")
              .tag("state", state.name())
              .register(meters));
      latency.put(
          state,
          Buckets.latency(
                  "t2i.jobs.latency", "Time from a job's acceptance to its end, by final state")
              .tag("state", state.name())
              .register(meters));
    }
  }

  public JobStore store() {
    return store;
  }

  /** Moves the job to a later non-terminal state, recreating a lost record. */
  public CompletableFuture<JobStore.Change> advance(JobSpec spec, JobState state) {
    return announceState(spec.getJobId(), state, store.advance(spec, state));
  }

  /** Moves the job to a later non-terminal state; a job without a record is left alone. */
  public CompletableFuture<JobStore.Change> advance(String jobId, JobState state) {
    return announceState(jobId, state, store.advance(jobId, state));
  }

  private CompletableFuture<JobStore.Change> announceState(
      String jobId, JobState state, JobStore.Change change) {
    if (change != JobStore.Change.APPLIED) {
      return CompletableFuture.completedFuture(change);
    }
    return publish(event(jobId).setStateChanged(StateChanged.newBuilder().setState(state)).build())
        .thenApply(ignored -> change);
  }

  /** Reports that a denoising step finished. */
  public CompletableFuture<?> progress(String jobId, int step, int totalSteps) {
    store.progress(jobId, step, totalSteps);
    return publish(
        event(jobId)
            .setStepProgress(StepProgress.newBuilder().setStep(step).setTotalSteps(totalSteps))
            .build());
  }

  /**
   * Announces a preview of a denoising job's latent; nothing is recorded, since a stream that
   * misses one simply shows the next.
   */
  public CompletableFuture<?> preview(String jobId, t2i.v1.Preview preview) {
    return publish(event(jobId).setPreview(preview).build());
  }

  /** Ends the job, recreating a lost record; returns STALE if it had already ended. */
  public CompletableFuture<JobStore.Change> finish(
      JobSpec spec, JobState state, @Nullable String reason) {
    JobStore.Change change = store.finish(spec, state, reason);
    if (change == JobStore.Change.APPLIED && spec.getAcceptedAtUnixMs() > 0) {
      Timer timer = latency.get(state);
      if (timer != null) {
        timer.record(Duration.ofMillis(Math.max(0, clock.millis() - spec.getAcceptedAtUnixMs())));
      }
    }
    return announceEnd(spec.getJobId(), state, reason, change);
  }

  /** Ends a job that has a record; returns STALE if it had already ended. */
  public CompletableFuture<JobStore.Change> finish(
      String jobId, JobState state, @Nullable String reason) {
    return announceEnd(jobId, state, reason, store.finish(jobId, state, reason));
  }

  private CompletableFuture<JobStore.Change> announceEnd(
      String jobId, JobState state, @Nullable String reason, JobStore.Change change) {
    if (change == JobStore.Change.UNKNOWN) {
      return CompletableFuture.completedFuture(change);
    }
    if (change == JobStore.Change.APPLIED) {
      Counter counter = ended.get(state);
      if (counter != null) {
        counter.increment();
      }
    }
    if (change == JobStore.Change.STALE) {
      Optional<JobState> now = store.state(jobId);
      if (now.isEmpty() || now.get() != state) {
        return CompletableFuture.completedFuture(change);
      }
    }
    return publish(
            event(jobId)
                .setFinished(
                    JobFinished.newBuilder()
                        .setState(state)
                        .setReason(reason == null ? "" : reason))
                .build())
        .thenApply(ignored -> change);
  }

  private JobEvent.Builder event(String jobId) {
    return JobEvent.newBuilder().setJobId(jobId).setAtUnixMs(clock.millis());
  }

  private CompletableFuture<?> publish(JobEvent event) {
    return publisher.send(eventsTopic, event.getJobId(), event);
  }
}
