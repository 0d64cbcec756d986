package t2i.diffusion;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.jboss.logging.Logger;
import org.jspecify.annotations.Nullable;
import t2i.diffusion.engine.Unet;
import t2i.diffusion.image.ImageConversion;
import t2i.pipeline.failure.InfrastructureUnavailable;
import t2i.pipeline.failure.StageFatalError;
import t2i.pipeline.model.ModelDirectory;
import t2i.pipeline.telemetry.JobTraces;
import t2i.v1.JobState;

/**
 * Runs many jobs through the UNet at once, at step granularity: a job joins the running batch at
 * the next step boundary and leaves when its last step is done, instead of waiting for a whole
 * batch to finish. Jobs share a UNet call when they share a {@link BatchKey}; with classifier-free
 * guidance each image adds an unconditional and a conditional row to the call. When the model takes
 * a per-sample timestep the whole batch is one call per step; when it takes one scalar timestep,
 * samples at equal timesteps are grouped.
 *
 * <p>Between steps the engine drops jobs that ended elsewhere (cancelled) or passed their deadline.
 * A finished job's latents go to a separate decode thread (VAE decoder), so decoding and image
 * encoding overlap with the next UNet steps. Both hand-over queues are bounded.
 *
 * <p>Owns its two threads (denoising, decoding) and a status poller; not the models. Thread-safe:
 * {@link #submit} may be called from any thread.
 */
final class DenoisingEngine implements AutoCloseable {

  /**
   * @param maxBatchRows most UNet rows (images, twice when guided) per call; a single bigger job
   *     still runs, alone
   * @param batchWait how long, at most, an idle engine waits for more jobs to batch with the first
   * @param queueCapacity most jobs waiting for the UNet
   * @param decodeCapacity most finished jobs waiting for the VAE decoder
   * @param statusInterval how often the engine asks whether its jobs were cancelled
   * @param continuous whether jobs join a running batch at step boundaries; without it, jobs batch
   *     only when they start together (for comparison)
   * @param batchGap how long the idle engine waits for each next companion: it stops waiting as
   *     soon as none comes within this gap, so that a lone job does not wait the whole {@code
   *     batchWait}
   */
  record Settings(
      int maxBatchRows,
      Duration batchWait,
      int queueCapacity,
      int decodeCapacity,
      Duration statusInterval,
      boolean continuous,
      Duration batchGap) {

    /** Settings whose idle engine waits the whole {@code batchWait} for companions. */
    Settings(
        int maxBatchRows,
        Duration batchWait,
        int queueCapacity,
        int decodeCapacity,
        Duration statusInterval,
        boolean continuous) {
      this(
          maxBatchRows,
          batchWait,
          queueCapacity,
          decodeCapacity,
          statusInterval,
          continuous,
          batchWait);
    }

    Settings {
      // The configuration checks each key where it is declared (DiffusionWorkerConfig); these
      // are the engine's own invariants.
      require(!batchGap.isNegative(), "batchGap must not be negative, was " + batchGap);
      require(maxBatchRows >= 1, "maxBatchRows must be >= 1, was " + maxBatchRows);
      require(!batchWait.isNegative(), "batchWait must not be negative, was " + batchWait);
      require(queueCapacity >= 1, "queueCapacity must be >= 1, was " + queueCapacity);
      require(decodeCapacity >= 1, "decodeCapacity must be >= 1, was " + decodeCapacity);
      require(
          statusInterval.toMillis() >= 1,
          "statusInterval must be at least 1 ms, was " + statusInterval);
    }

    private static void require(boolean condition, String message) {
      if (!condition) {
        throw new IllegalArgumentException(message);
      }
    }
  }

  /** What the engine has done so far; for benchmarks and tests. */
  record Stats(long unetCalls, long unetRows, long unetNanos, long vaeCalls, long vaeNanos) {}

  private static final Logger LOG = Logger.getLogger(DenoisingEngine.class);
  private static final long IDLE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private final Map<String, DiffusionModel> models;
  private final Settings settings;
  private final JobStatus status;
  private final InstantSource clock;
  private final PendingJobs pending;
  private final BlockingQueue<DenoisingJob> decoding;
  private final Set<String> activeIds = ConcurrentHashMap.newKeySet();
  private final Map<String, JobState> endedElsewhere = new ConcurrentHashMap<>();
  private final Set<String> revoked = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Consumer<Throwable> onFatal;
  private volatile @Nullable Throwable broken;
  private boolean statusUnavailable;
  private final Thread denoiser;
  private final DiffusionMetrics metrics;
  private final Thread decoder;
  private final ScheduledExecutorService statusPoller;

  private volatile long unetCalls;
  private volatile long unetRows;
  private volatile long unetNanos;
  private volatile long vaeCalls;
  private volatile long vaeNanos;

  /** Reused between steps while the same jobs share a call: the text embeddings of each row. */
  private List<DenoisingJob> lastCallJobs = List.of();

  private float[] lastContext = new float[0];

  DenoisingEngine(
      Map<String, DiffusionModel> models,
      Settings settings,
      JobStatus status,
      InstantSource clock) {
    this(models, settings, status, clock, e -> {});
  }

  /**
   * @param onFatal hears that a thread of the engine died: the engine takes no more jobs, and the
   *     process should be restarted
   */
  DenoisingEngine(
      Map<String, DiffusionModel> models,
      Settings settings,
      JobStatus status,
      InstantSource clock,
      Consumer<Throwable> onFatal) {
    this(models, settings, status, clock, onFatal, DiffusionMetrics.none());
  }

  /**
   * @param onFatal hears that a thread of the engine died: the engine takes no more jobs, and the
   *     process should be restarted
   * @param metrics where the engine reports its UNet calls, steps, batches and decoding
   */
  DenoisingEngine(
      Map<String, DiffusionModel> models,
      Settings settings,
      JobStatus status,
      InstantSource clock,
      Consumer<Throwable> onFatal,
      DiffusionMetrics metrics) {
    this.onFatal = onFatal;
    this.metrics = metrics;
    this.models = Map.copyOf(models);
    this.settings = settings;
    this.status = status;
    this.clock = clock;
    this.pending = new PendingJobs(settings.queueCapacity());
    this.decoding = new ArrayBlockingQueue<>(settings.decodeCapacity());
    metrics.decodeQueue(decoding);
    this.denoiser = Thread.ofPlatform().name("denoise").unstarted(this::denoiseLoop);
    this.decoder = Thread.ofPlatform().name("vae-decode").unstarted(this::decodeLoop);
    this.statusPoller =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("job-status").daemon(true).factory());
    denoiser.start();
    decoder.start();
    long interval = settings.statusInterval().toMillis();
    // pollStatus() handles its own failures, and close() ends the schedule with the executor:
    // nothing waits on the future.
    ScheduledFuture<?> unused =
        statusPoller.scheduleWithFixedDelay(
            this::pollStatus, interval, interval, TimeUnit.MILLISECONDS);
  }

  /**
   * Queues a job. The future completes, on the decode thread, with the images; or exceptionally
   * with {@link JobStopped} (cancelled, expired), {@link JobRevoked} (its partition moved to
   * another worker), {@link IllegalArgumentException} (the request does not fit the model), {@link
   * RejectedExecutionException} (queue full or engine closed), {@link InfrastructureUnavailable} (a
   * copy of the job is already here: the engine never runs one job twice at once), {@link
   * StageFatalError} (a thread of the engine died), or an engine failure.
   */
  CompletableFuture<List<GeneratedImage>> submit(DenoisingRequest request) {
    Throwable fatal = broken;
    if (fatal != null) {
      return CompletableFuture.failedFuture(
          new StageFatalError("the denoising engine has stopped after a fatal error", fatal));
    }
    if (activeIds.contains(request.jobId()) || pending.contains(request.jobId())) {
      return CompletableFuture.failedFuture(
          new InfrastructureUnavailable(
              "a copy of job " + request.jobId() + " is already being denoised here"));
    }
    DiffusionModel model = models.get(request.model());
    if (model == null) {
      return CompletableFuture.failedFuture(
          new IllegalArgumentException(
              "model '" + request.model() + "' is not loaded here; loaded: " + models.keySet()));
    }
    DenoisingJob job;
    try {
      job = new DenoisingJob(request, model);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    if (closed.get() || !pending.offer(job)) {
      return CompletableFuture.failedFuture(
          new RejectedExecutionException(
              closed.get() ? "the denoising engine is stopping" : "the denoising queue is full"));
    }
    return job.result;
  }

  /**
   * Stops a job whose partition went to another worker: at once if it waits, else at the next step
   * boundary. Its future fails with {@link JobRevoked}. Any thread.
   */
  void revoke(String jobId) {
    List<DenoisingJob> waiting = pending.remove(jobId);
    if (!waiting.isEmpty()) {
      waiting.forEach(job -> job.result.completeExceptionally(new JobRevoked(jobId)));
      return;
    }
    if (activeIds.contains(jobId)) {
      revoked.add(jobId);
    }
  }

  /** Whether both engine threads run (for liveness). */
  boolean isHealthy() {
    return broken == null && (closed.get() || (denoiser.isAlive() && decoder.isAlive()));
  }

  Stats stats() {
    return new Stats(unetCalls, unetRows, unetNanos, vaeCalls, vaeNanos);
  }

  // ---------------------------------------------------------------- denoising thread

  private void denoiseLoop() {
    List<DenoisingJob> active = new ArrayList<>();
    try {
      while (!closed.get()) {
        admit(active);
        dropStopped(active);
        if (active.isEmpty()) {
          continue;
        }
        step(active);
        metrics.stepsDone(active.size());
        for (var it = active.iterator(); it.hasNext(); ) {
          DenoisingJob job = it.next();
          if (job.isDone()) {
            it.remove();
            activeIds.remove(job.id());
            metrics.denoised(job.id(), job.widestCallRows, job.widestCallJobs);
            decoding.put(job);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | Error e) {
      LOG.error("The denoising loop stopped unexpectedly; the worker must be restarted", e);
      broken = e;
      // Told first, so that whoever hears of a failed job can rely on the process being ended.
      onFatal.accept(e);
      StageFatalError fatal = new StageFatalError("the denoising loop died", e);
      active.forEach(job -> job.result.completeExceptionally(fatal));
      active.clear();
      pending.drain().forEach(job -> job.result.completeExceptionally(fatal));
    } finally {
      RejectedExecutionException stopping =
          new RejectedExecutionException("the denoising engine stopped");
      active.forEach(job -> job.result.completeExceptionally(stopping));
      pending.drain().forEach(job -> job.result.completeExceptionally(stopping));
    }
  }

  /**
   * Takes waiting jobs into the running batch, oldest first, while they fit and share its key. An
   * idle engine waits for a first job, then for companions while they keep coming at most {@code
   * batchGap} apart, up to {@code batchWait} in all.
   */
  private void admit(List<DenoisingJob> active) throws InterruptedException {
    int rows = active.stream().mapToInt(DenoisingJob::rows).sum();
    if (active.isEmpty()) {
      DenoisingJob first = pending.peek(IDLE_POLL_NANOS);
      if (first == null) {
        return;
      }
      add(active, pending.take());
      if (first.isolated) {
        return;
      }
      rows = first.rows();
      long until = System.nanoTime() + settings.batchWait().toNanos();
      long gap = settings.batchGap().toNanos();
      while (rows < settings.maxBatchRows()) {
        DenoisingJob next = pending.peek(Math.min(until - System.nanoTime(), gap));
        if (next == null || !fits(next, first, rows)) {
          return;
        }
        add(active, pending.take());
        rows += next.rows();
      }
      return;
    }
    if (active.getFirst().isolated || !settings.continuous()) {
      return;
    }
    while (true) {
      DenoisingJob next = pending.peek(0);
      if (next == null || !fits(next, active.getFirst(), rows)) {
        return;
      }
      add(active, pending.take());
      metrics.joinedRunningBatch();
      rows += next.rows();
    }
  }

  private boolean fits(DenoisingJob candidate, DenoisingJob running, int rows) {
    return !candidate.isolated
        && candidate.key.equals(running.key)
        && rows + candidate.rows() <= settings.maxBatchRows();
  }

  private void add(List<DenoisingJob> active, DenoisingJob job) {
    active.add(job);
    activeIds.add(job.id());
  }

  /** Removes jobs that were cancelled, ended elsewhere, or passed their deadline. */
  private void dropStopped(List<DenoisingJob> active) {
    long now = clock.millis();
    for (var it = active.iterator(); it.hasNext(); ) {
      DenoisingJob job = it.next();
      JobState ended = endedElsewhere.remove(job.id());
      long deadline = job.request.deadlineUnixMs();
      RuntimeException stop = null;
      if (revoked.remove(job.id())) {
        stop = new JobRevoked(job.id());
      } else if (ended != null) {
        stop = new JobStopped(ended, "the job ended as " + ended + " while denoising");
      } else if (deadline > 0 && now >= deadline) {
        stop =
            new JobStopped(
                JobState.EXPIRED,
                "The job's deadline passed during denoising, after step "
                    + job.stepsDone()
                    + " of "
                    + job.totalSteps()
                    + "; submit it again with a later deadline or fewer steps");
      }
      if (stop != null) {
        it.remove();
        activeIds.remove(job.id());
        job.result.completeExceptionally(stop);
      }
    }
  }

  /** One denoising step for every running job. */
  private void step(List<DenoisingJob> active) {
    Unet unet = active.getFirst().model.unet();
    List<List<DenoisingJob>> groups = new ArrayList<>();
    if (unet.acceptsPerSampleTimesteps()) {
      groups.add(active);
    } else {
      Map<Double, List<DenoisingJob>> byTimestep = new LinkedHashMap<>();
      for (DenoisingJob job : active) {
        byTimestep.computeIfAbsent(job.timestep(), t -> new ArrayList<>()).add(job);
      }
      groups.addAll(byTimestep.values());
    }
    for (List<DenoisingJob> group : groups) {
      for (List<DenoisingJob> call : calls(group)) {
        try {
          run(unet, call);
        } catch (RuntimeException e) {
          recover(active, call, e);
          return;
        }
      }
    }
  }

  /** Splits a group into calls of at most maxBatchRows rows, never splitting a job. */
  private List<List<DenoisingJob>> calls(List<DenoisingJob> group) {
    List<List<DenoisingJob>> calls = new ArrayList<>();
    List<DenoisingJob> call = new ArrayList<>();
    int rows = 0;
    for (DenoisingJob job : group) {
      if (!call.isEmpty() && rows + job.rows() > settings.maxBatchRows()) {
        calls.add(call);
        call = new ArrayList<>();
        rows = 0;
      }
      call.add(job);
      rows += job.rows();
    }
    if (!call.isEmpty()) {
      calls.add(call);
    }
    return calls;
  }

  /**
   * A failed call with several jobs may have failed for one of them: run each alone from the start
   * (results are deterministic), so only the job that fails alone fails.
   */
  private void recover(List<DenoisingJob> active, List<DenoisingJob> call, RuntimeException e) {
    if (call.size() == 1) {
      DenoisingJob job = call.getFirst();
      putLogContext(job);
      LOG.errorf(e, "UNet failed for job %s", job.id());
      JobTraces.clearLogContext();
      active.remove(job);
      activeIds.remove(job.id());
      job.result.completeExceptionally(e);
      return;
    }
    LOG.warnf(e, "A UNet call shared by %d jobs failed; running each of them alone", call.size());
    for (DenoisingJob job : call) {
      active.remove(job);
      activeIds.remove(job.id());
      job.isolated = true;
      job.reset();
    }
    pending.putBack(call);
  }

  /** Names the job and its trace in the MDC of this thread's log lines. */
  private void putLogContext(DenoisingJob job) {
    JobTraces.putLogContext(job.id(), metrics.traceIdOf(job.id()));
  }

  private void run(Unet unet, List<DenoisingJob> call) {
    DenoisingJob first = call.getFirst();
    int latentSize = first.latentSize;
    int rows = call.stream().mapToInt(DenoisingJob::rows).sum();
    float[] input = new float[rows * latentSize];
    double[] timesteps = new double[rows];
    int row = 0;
    for (DenoisingJob job : call) {
      for (int copy = 0; copy < (job.guided ? 2 : 1); copy++) {
        for (int i = 0; i < job.count; i++) {
          float scale = (float) job.samplers[i].inputScale();
          float[] latents = job.latents[i];
          int offset = row * latentSize;
          for (int k = 0; k < latentSize; k++) {
            input[offset + k] = latents[k] * scale;
          }
          timesteps[row++] = job.samplers[i].timestep();
        }
      }
    }
    float[] context = context(call, rows);
    long start = System.nanoTime();
    float[] output =
        unet.predict(
            input,
            rows,
            DenoisingJob.LATENT_CHANNELS,
            first.latentHeight,
            first.latentWidth,
            timesteps,
            context,
            first.sequence,
            first.hidden);
    long nanos = System.nanoTime() - start;
    countUnetCall(rows, nanos);
    metrics.unetCall(rows, settings.maxBatchRows(), nanos);
    for (DenoisingJob job : call) {
      job.widestCallRows = Math.max(job.widestCallRows, rows);
      job.widestCallJobs = Math.max(job.widestCallJobs, call.size());
    }

    float[] noise = new float[latentSize];
    row = 0;
    for (DenoisingJob job : call) {
      int cond = job.guided ? row + job.count : row;
      for (int i = 0; i < job.count; i++) {
        int c = (cond + i) * latentSize;
        if (job.guided) {
          int u = (row + i) * latentSize;
          for (int k = 0; k < latentSize; k++) {
            float un = output[u + k];
            noise[k] = un + job.guidance * (output[c + k] - un);
          }
        } else {
          System.arraycopy(output, c, noise, 0, latentSize);
        }
        job.samplers[i].step(noise, job.latents[i]);
      }
      row += job.rows();
      job.request.steps().stepDone(job.stepsDone(), job.totalSteps());
      job.request.steps().latentAfterStep(job.stepsDone(), job.totalSteps(), job.latentPeek());
    }
  }

  // Only the denoising thread writes these counters; stats() only reads them.
  @SuppressWarnings("NonAtomicVolatileUpdate")
  private void countUnetCall(int rows, long nanos) {
    unetNanos += nanos;
    unetCalls++;
    unetRows += rows;
  }

  /** The embeddings of each row of a call: a job's unconditional rows, then its conditional. */
  private float[] context(List<DenoisingJob> call, int rows) {
    if (call.equals(lastCallJobs)) {
      return lastContext;
    }
    DenoisingJob first = call.getFirst();
    int embedding = first.sequence * first.hidden;
    float[] context = new float[rows * embedding];
    int row = 0;
    for (DenoisingJob job : call) {
      if (job.guided) {
        for (int i = 0; i < job.count; i++) {
          System.arraycopy(job.request.uncond().data(), 0, context, row++ * embedding, embedding);
        }
      }
      for (int i = 0; i < job.count; i++) {
        System.arraycopy(job.request.cond().data(), 0, context, row++ * embedding, embedding);
      }
    }
    lastCallJobs = List.copyOf(call);
    lastContext = context;
    return context;
  }

  // ---------------------------------------------------------------- decode thread

  // Only the decode thread writes these counters; stats() only reads them.
  @SuppressWarnings("NonAtomicVolatileUpdate")
  private void countVaeCall(long nanos) {
    vaeNanos += nanos;
    vaeCalls++;
  }

  private void decodeLoop() {
    try {
      while (!closed.get() || !decoding.isEmpty()) {
        DenoisingJob job = decoding.poll(IDLE_POLL_NANOS, TimeUnit.NANOSECONDS);
        if (job != null) {
          putLogContext(job);
          try {
            decode(job);
          } finally {
            JobTraces.clearLogContext();
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | Error e) {
      LOG.error("The decode loop stopped unexpectedly; the worker must be restarted", e);
      broken = e;
      onFatal.accept(e);
      StageFatalError fatal = new StageFatalError("the decode loop died", e);
      decoding.forEach(job -> job.result.completeExceptionally(fatal));
    } finally {
      RejectedExecutionException stopping =
          new RejectedExecutionException("the denoising engine stopped");
      decoding.forEach(job -> job.result.completeExceptionally(stopping));
    }
  }

  private void decode(DenoisingJob job) {
    List<GeneratedImage> images;
    try {
      int count = job.count;
      int latentSize = job.latentSize;
      float[] batch = new float[count * latentSize];
      float inverseScaling = (float) (1.0 / job.model.directory().vaeScalingFactor());
      for (int i = 0; i < count; i++) {
        float[] latents = job.latents[i];
        for (int k = 0; k < latentSize; k++) {
          batch[i * latentSize + k] = latents[k] * inverseScaling;
        }
      }
      long start = System.nanoTime();
      float[] pixels =
          job.model
              .vaeDecoder()
              .decode(
                  batch, count, DenoisingJob.LATENT_CHANNELS, job.latentHeight, job.latentWidth);
      long vaeTime = System.nanoTime() - start;
      countVaeCall(vaeTime);
      metrics.vaeCall(vaeTime);
      int height = job.latentHeight * ModelDirectory.VAE_SCALE;
      int width = job.latentWidth * ModelDirectory.VAE_SCALE;
      if (pixels.length != count * 3 * height * width) {
        throw new IllegalStateException(
            "VAE decoder returned "
                + pixels.length
                + " values for "
                + count
                + " images of "
                + width
                + "x"
                + height);
      }
      images = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        job.model.preview().learn(job.latents[i], pixels, i, job.latentHeight, job.latentWidth);
        images.add(
            new GeneratedImage(
                i, job.seed(i), width, height, ImageConversion.toRgb(pixels, i, height, width)));
      }
    } catch (RuntimeException e) {
      LOG.errorf(e, "VAE decoding failed for job %s", job.id());
      job.result.completeExceptionally(e);
      return;
    }
    job.result.complete(images);
  }

  // ---------------------------------------------------------------- status poller

  private void pollStatus() {
    try {
      if (activeIds.isEmpty()) {
        return;
      }
      endedElsewhere.putAll(status.ended(List.copyOf(activeIds)));
      // A job that finished while it was being looked up is no longer anyone's concern.
      endedElsewhere.keySet().retainAll(activeIds);
      if (statusUnavailable) {
        LOG.info("Checking running jobs for cancellation works again");
        statusUnavailable = false;
      }
    } catch (RuntimeException e) {
      // Once per outage: the check runs many times a second.
      if (!statusUnavailable) {
        LOG.warnf("Could not check whether running jobs were cancelled (%s); retrying", e);
        statusUnavailable = true;
      }
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    statusPoller.shutdownNow();
    try {
      denoiser.join(Duration.ofSeconds(30));
      decoder.join(Duration.ofSeconds(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
