package t2i.gateway;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.Optional;
import t2i.pipeline.job.JobStore;
import t2i.pipeline.job.JobView;
import t2i.pipeline.v1.ImageReady;
import t2i.pipeline.v1.JobEvent;
import t2i.pipeline.v1.JobSpec;
import t2i.v1.Accepted;
import t2i.v1.Completed;
import t2i.v1.GenerateEvent;
import t2i.v1.Image;
import t2i.v1.JobState;
import t2i.v1.Progress;

/**
 * One client's Generate or WatchJob stream: turns the job's events into API events and sends them
 * as fast as the client reads (gRPC flow control). While the client is slow, consecutive progress
 * events collapse into the latest, so the queue holds at most the job's images, one progress event
 * and the completion. Thread-safe: events, the transport's ready callback and the periodic catch-up
 * may arrive on different threads; sending is serialized. Leaves the watchers as soon as it ends.
 */
final class GenerateStream implements JobWatcher {

  private final String jobId;
  private final long deadlineUnixMs;
  private final InstantSource clock;
  private final ServerCallStreamObserver<GenerateEvent> observer;
  private final JobStore store;
  private final JobViews views;
  private final JobWatchers watchers;

  private final Object lock = new Object();
  private final ArrayDeque<GenerateEvent> queue = new ArrayDeque<>();
  private final BitSet imagesQueued = new BitSet();
  private boolean lastQueuedIsProgress;
  private boolean completionQueued;
  private Status failure;
  private int lastStep;
  private volatile JobState finishedAs;
  private volatile boolean done;

  GenerateStream(
      JobSpec spec,
      ServerCallStreamObserver<GenerateEvent> observer,
      JobStore store,
      JobViews views,
      JobWatchers watchers,
      InstantSource clock) {
    this.jobId = spec.getJobId();
    this.deadlineUnixMs = spec.getDeadlineUnixMs();
    this.clock = clock;
    this.observer = observer;
    this.store = store;
    this.views = views;
    this.watchers = watchers;
    observer.setOnReadyHandler(this::drain);
    observer.setOnCancelHandler(
        () -> {
          done = true;
          // Frees the stream's place at once, not at the next reconciliation.
          watchers.remove(this);
        });
  }

  @Override
  public String jobId() {
    return jobId;
  }

  @Override
  public boolean isDone() {
    return done;
  }

  void accepted(Accepted accepted) {
    enqueue(GenerateEvent.newBuilder().setAccepted(accepted).build(), false);
    drain();
  }

  @Override
  public void onEvent(JobEvent event) {
    if (done) {
      return;
    }
    switch (event.getKindCase()) {
      case STATE_CHANGED -> progress(event.getStateChanged().getState(), 0, 0);
      case STEP_PROGRESS ->
          progress(
              JobState.DENOISING,
              event.getStepProgress().getStep(),
              event.getStepProgress().getTotalSteps());
      case IMAGE_READY -> image(event.getImageReady());
      case FINISHED -> {
        // Remembered before the record is read: if the record is gone, the job still ended.
        finishedAs = event.getFinished().getState();
        catchUp();
      }
      default -> {}
    }
    drain();
  }

  @Override
  public void reconcile() {
    if (!done) {
      catchUp();
      drain();
    }
  }

  /**
   * Starts a stream of a job that may have progressed already (WatchJob, a retried Generate): sends
   * the job's current state, then whatever the record holds. Call after the stream watches the job,
   * so that nothing that happens meanwhile is missed.
   */
  void start() {
    Optional<JobView> found = store.find(jobId);
    found
        .filter(view -> !view.isTerminal())
        .ifPresent(
            view ->
                progress(
                    view.state(),
                    view.state() == JobState.DENOISING ? view.step() : 0,
                    view.state() == JobState.DENOISING ? view.totalSteps() : 0));
    catchUp(found);
    drain();
  }

  /** Brings the stream level with the job's record: missing images, the outcome. */
  private void catchUp() {
    catchUp(store.find(jobId));
  }

  private void catchUp(Optional<JobView> found) {
    if (found.isEmpty()) {
      if (finishedAs != null) {
        // It ended, and then the store lost its results before they could be sent.
        fail(
            Status.NOT_FOUND.withDescription(
                "job "
                    + jobId
                    + " ended as "
                    + finishedAs
                    + ", but its results were lost from the job store before they could be sent;"
                    + " submit it again"));
      } else if (deadlineUnixMs <= 0 || clock.millis() >= deadlineUnixMs) {
        fail(OwnedJobs.notFound(jobId).getStatus());
      }
      // Otherwise Redis lost the record of a job in flight: the next stage to touch the job
      // recreates it from its message.
      return;
    }
    JobView view = found.get();
    if (view.state() == JobState.DENOISING && view.step() > lastStep) {
      progress(JobState.DENOISING, view.step(), view.totalSteps());
    }
    if (!view.isTerminal()) {
      return;
    }
    if (view.state() != JobState.SUCCEEDED) {
      fail(terminalStatus(view));
      return;
    }
    for (ImageReady ready : view.images()) {
      image(ready);
    }
    synchronized (lock) {
      if (!completionQueued && failure == null) {
        enqueue(
            GenerateEvent.newBuilder()
                .setCompleted(Completed.newBuilder().setJob(views.summary(view)))
                .build(),
            false);
        completionQueued = true;
      }
    }
  }

  private static Status terminalStatus(JobView view) {
    String reason = view.reason().isEmpty() ? "" : ": " + view.reason();
    String job = "job " + view.spec().getJobId();
    return switch (view.state()) {
      case CANCELLED -> Status.CANCELLED.withDescription(job + " was cancelled" + reason);
      case EXPIRED -> Status.DEADLINE_EXCEEDED.withDescription(job + " expired" + reason);
      default -> Status.ABORTED.withDescription(job + " failed" + reason);
    };
  }

  private void progress(JobState state, int step, int total) {
    synchronized (lock) {
      if (completionQueued || failure != null) {
        return;
      }
      lastStep = Math.max(lastStep, step);
      GenerateEvent event =
          GenerateEvent.newBuilder()
              .setProgress(Progress.newBuilder().setState(state).setStep(step).setTotalSteps(total))
              .build();
      if (lastQueuedIsProgress) {
        queue.pollLast();
      }
      enqueue(event, true);
    }
  }

  private void image(ImageReady ready) {
    synchronized (lock) {
      if (imagesQueued.get(ready.getIndex())) {
        return;
      }
    }
    Optional<Image> image = views.image(ready);
    synchronized (lock) {
      if (image.isEmpty()) {
        fail(Status.NOT_FOUND.withDescription("an image of job " + jobId + " expired"));
      } else if (!imagesQueued.get(ready.getIndex())) {
        imagesQueued.set(ready.getIndex());
        enqueue(GenerateEvent.newBuilder().setImage(image.get()).build(), false);
      }
    }
  }

  private void fail(Status status) {
    synchronized (lock) {
      if (!completionQueued && failure == null) {
        failure = status;
      }
    }
  }

  private void enqueue(GenerateEvent event, boolean isProgress) {
    synchronized (lock) {
      queue.addLast(event);
      lastQueuedIsProgress = isProgress;
    }
  }

  /** Sends what the client can take now; closes the stream once everything is sent. */
  private void drain() {
    synchronized (lock) {
      if (done) {
        return;
      }
      while (!queue.isEmpty() && observer.isReady()) {
        observer.onNext(queue.pollFirst());
      }
      if (queue.isEmpty()) {
        lastQueuedIsProgress = false;
        if (failure != null) {
          done = true;
          observer.onError(failure.asRuntimeException());
          watchers.remove(this);
        } else if (completionQueued) {
          done = true;
          observer.onCompleted();
          watchers.remove(this);
        }
      }
    }
  }
}
