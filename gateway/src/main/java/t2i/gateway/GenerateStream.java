package t2i.gateway;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;
import org.jspecify.annotations.Nullable;
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
import t2i.v1.QueuePosition;

/**
 * One client's Generate or WatchJob stream: turns the job's events into API events and sends them
 * as fast as the client reads (gRPC flow control). While the client is slow, consecutive progress
 * events collapse into the latest, and so do previews, so the queue holds at most the job's images,
 * one progress event, one preview and the completion. A Generate stream sends nothing before its
 * {@link Accepted} event.
 *
 * <p>Thread-safe. Events and reconciliation arrive on the gateway's single event thread and only
 * touch memory there: whatever needs a read from the job store (an image, the outcome, a catch-up)
 * runs on {@code reads}, at most one task per stream at a time, so a slow store never holds up the
 * other streams. Sending is serialized. Leaves the watchers as soon as it ends.
 */
final class GenerateStream implements JobWatcher {

  private static final Logger LOG = Logger.getLogger(GenerateStream.class);

  private final String jobId;
  private final long deadlineUnixMs;
  private final InstantSource clock;
  private final ServerCallStreamObserver<GenerateEvent> observer;
  private final JobStore store;
  private final JobViews views;
  private final JobWatchers watchers;
  private final Executor reads;

  private final Object lock = new Object();
  private final ArrayDeque<GenerateEvent> queue = new ArrayDeque<>();
  private final BitSet imagesQueued = new BitSet();
  private boolean awaitingAccepted;
  private boolean lastQueuedIsProgress;
  private @Nullable GenerateEvent queuedPreview;
  private boolean completionQueued;
  private @Nullable Status failure;
  private int lastStep;
  private @Nullable JobState lastState;
  private @Nullable QueuePosition lastPosition;
  private volatile @Nullable JobState finishedAs;
  private volatile boolean done;

  private volatile boolean recordToRead;
  private final AtomicInteger readRequests = new AtomicInteger();

  /**
   * @param startsWithAccepted true for Generate: nothing is sent before {@link #accepted}
   * @param reads where the stream reads the job store, off the event thread
   */
  GenerateStream(
      JobSpec spec,
      boolean startsWithAccepted,
      ServerCallStreamObserver<GenerateEvent> observer,
      JobStore store,
      JobViews views,
      JobWatchers watchers,
      Executor reads,
      InstantSource clock) {
    this.jobId = spec.getJobId();
    this.deadlineUnixMs = spec.getDeadlineUnixMs();
    this.awaitingAccepted = startsWithAccepted;
    this.clock = clock;
    this.observer = observer;
    this.store = store;
    this.views = views;
    this.watchers = watchers;
    this.reads = reads;
  }

  /** Starts taking the transport's callbacks; call once, before the stream watches its job. */
  GenerateStream listen() {
    observer.setOnReadyHandler(this::drain);
    observer.setOnCancelHandler(
        () -> {
          done = true;
          // Frees the stream's place at once, not at the next reconciliation.
          watchers.remove(this);
        });
    return this;
  }

  @Override
  public String jobId() {
    return jobId;
  }

  @Override
  public boolean isDone() {
    return done;
  }

  /** Sends the Accepted event first, then whatever arrived meanwhile. */
  void accepted(Accepted accepted) {
    synchronized (lock) {
      if (queue.isEmpty()) {
        lastQueuedIsProgress = false;
      }
      queue.addFirst(GenerateEvent.newBuilder().setAccepted(accepted).build());
      awaitingAccepted = false;
    }
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
      case PREVIEW -> preview(event.getPreview());
      case FINISHED -> {
        // Remembered before the record is read: if the record is gone, the job still ended.
        finishedAs = event.getFinished().getState();
        recordToRead = true;
        requestReads();
      }
      default -> {}
    }
    drain();
  }

  @Override
  public void reconcile() {
    if (!done) {
      recordToRead = true;
      requestReads();
    }
  }

  /**
   * Starts a stream of a job that may have progressed already (WatchJob, a retried Generate): sends
   * the job's current state, then whatever the record holds. Call after the stream watches the job,
   * so that nothing that happens meanwhile is missed. Reads the store on the calling thread.
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

  /** Runs the pending reads on {@code reads}, unless a run is already under way. */
  private void requestReads() {
    if (readRequests.getAndIncrement() != 0) {
      return;
    }
    try {
      reads.execute(this::runReads);
    } catch (RejectedExecutionException e) {
      // The gateway is shutting down: its streams end with it.
      readRequests.set(0);
    }
  }

  private void runReads() {
    int requests = readRequests.get();
    while (true) {
      if (!done) {
        try {
          if (recordToRead) {
            recordToRead = false;
            catchUp(store.find(jobId));
          }
          drain();
        } catch (RuntimeException e) {
          // The next reconciliation reads the record again.
          LOG.warnf(e, "Catching up job %s failed; will retry", jobId);
        }
      }
      requests = readRequests.addAndGet(-requests);
      if (requests == 0) {
        return;
      }
    }
  }

  /** Brings the stream level with the job's record: missing images, the outcome. */
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
    if (view.state() == JobState.DENOISING && view.step() > lastStep()) {
      progress(JobState.DENOISING, view.step(), view.totalSteps());
    }
    if (!view.isTerminal()) {
      Optional<QueuePosition> position = views.queuePosition(view);
      if (position.isPresent()) {
        queued(view.state(), position.get());
      } else if (view.state() != lastState()) {
        // A state no event announces (tokenizing, encoding) shows when reconciliation finds it.
        progress(view.state(), 0, 0);
      }
      return;
    }
    if (view.state() != JobState.SUCCEEDED) {
      fail(JobOutcomes.status(view));
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

  private int lastStep() {
    synchronized (lock) {
      return lastStep;
    }
  }

  private @Nullable JobState lastState() {
    synchronized (lock) {
      return lastState;
    }
  }

  /** A waiting job's place, when it moved (or its estimate by more than a second). */
  private void queued(JobState state, QueuePosition position) {
    synchronized (lock) {
      QueuePosition last = lastPosition;
      if (last != null
          && last.getStage().equals(position.getStage())
          && last.getJobsAhead() == position.getJobsAhead()
          && last.hasEstimatedStart() == position.hasEstimatedStart()
          && Math.abs(
                  last.getEstimatedStart().getSeconds() - position.getEstimatedStart().getSeconds())
              < 1) {
        return;
      }
      lastPosition = position;
      send(Progress.newBuilder().setState(state).setQueuePosition(position));
    }
  }

  private void progress(JobState state, int step, int total) {
    synchronized (lock) {
      lastStep = Math.max(lastStep, step);
      send(Progress.newBuilder().setState(state).setStep(step).setTotalSteps(total));
    }
  }

  private void send(Progress.Builder progress) {
    synchronized (lock) {
      if (completionQueued || failure != null) {
        return;
      }
      lastState = progress.getState();
      GenerateEvent event = GenerateEvent.newBuilder().setProgress(progress).build();
      if (lastQueuedIsProgress) {
        queue.pollLast();
      }
      enqueue(event, true);
    }
  }

  /** The latest preview replaces one still waiting; a trailing progress event stays last. */
  private void preview(t2i.v1.Preview preview) {
    synchronized (lock) {
      if (completionQueued || failure != null) {
        return;
      }
      if (queuedPreview != null) {
        queue.removeFirstOccurrence(queuedPreview);
      }
      GenerateEvent event = GenerateEvent.newBuilder().setPreview(preview).build();
      queuedPreview = event;
      if (lastQueuedIsProgress) {
        GenerateEvent progress = queue.pollLast();
        queue.addLast(event);
        queue.addLast(progress);
      } else {
        queue.addLast(event);
      }
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
      if (done || awaitingAccepted) {
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
