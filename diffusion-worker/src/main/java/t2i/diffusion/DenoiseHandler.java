package t2i.diffusion;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;
import org.jspecify.annotations.Nullable;
import t2i.diffusion.image.PngEncoder;
import t2i.pipeline.embedding.EmbeddingCache;
import t2i.pipeline.failure.Failures;
import t2i.pipeline.failure.InfrastructureUnavailable;
import t2i.pipeline.failure.JobFailure;
import t2i.pipeline.job.JobTracker;
import t2i.pipeline.job.RedisKeys;
import t2i.pipeline.kafka.Delivery;
import t2i.pipeline.kafka.JobHandler;
import t2i.pipeline.kafka.Publisher;
import t2i.pipeline.tensor.FloatTensor;
import t2i.pipeline.v1.EmbeddingRef;
import t2i.pipeline.v1.EncodedJob;
import t2i.pipeline.v1.ImageReady;
import t2i.pipeline.v1.JobSpec;
import t2i.pipeline.v1.TokenizedJob;
import t2i.v1.JobState;

/**
 * Hands an encoded job to the {@link DenoisingEngine}, and records what comes out: progress (best
 * effort, off the UNet thread), each image (stored, then announced), and the outcome.
 *
 * <p>A job runs at most once here at a time: a second delivery of a job that is already running (a
 * redelivery after a rebalance, say) waits for the running copy instead of starting another.
 * Finished images are kept until they are recorded, so that a retry after Redis or Kafka was away
 * records them again instead of computing them again. Images are PNG-encoded and recorded on the
 * {@code results} executor, so neither the consumer thread nor the decode thread waits for Redis.
 *
 * <p>Redis is a cache: a job whose embeddings are gone (Redis lost its data) is sent back to the
 * encoder workers, with the tokens its message carries, instead of failing.
 */
final class DenoiseHandler implements JobHandler<EncodedJob> {

  static final String STAGE = "diffusion-worker";
  private static final Logger LOG = Logger.getLogger(DenoiseHandler.class);

  /** A job's images, PNG-encoded, from the moment the engine has them until they are recorded. */
  private record Run(JobSpec spec, CompletableFuture<List<Png>> images) {}

  // Handed from encoding to recording and never compared, so record equality is unused.
  @SuppressWarnings("ArrayRecordComponent")
  private record Png(ImageReady ready, byte[] bytes) {}

  private final Map<String, DiffusionModel> models;
  private final DenoisingEngine engine;
  private final EmbeddingCache embeddings;
  private final JobTracker tracker;
  private final Publisher publisher;
  private final String tokenizedTopic;
  private final ProgressReporter progress;
  private final Duration progressInterval;
  private final Duration previewInterval;
  private final Executor results;
  private final InstantSource clock;
  private final DiffusionMetrics metrics;
  private final Map<String, Run> running = new ConcurrentHashMap<>();
  private final AtomicLong secondDeliveries = new AtomicLong();

  DenoiseHandler(
      Map<String, DiffusionModel> models,
      DenoisingEngine engine,
      EmbeddingCache embeddings,
      JobTracker tracker,
      Publisher publisher,
      String tokenizedTopic,
      ProgressReporter progress,
      Duration progressInterval,
      Duration previewInterval,
      Executor results,
      InstantSource clock,
      DiffusionMetrics metrics) {
    this.models = Map.copyOf(models);
    this.engine = engine;
    this.embeddings = embeddings;
    this.tracker = tracker;
    this.publisher = publisher;
    this.tokenizedTopic = tokenizedTopic;
    this.progress = progress;
    this.progressInterval = progressInterval;
    this.previewInterval = previewInterval;
    this.results = results;
    this.clock = clock;
    this.metrics = metrics;
  }

  @Override
  public CompletionStage<?> handle(Delivery<EncodedJob> delivery) {
    EncodedJob job = delivery.value();
    JobSpec spec = job.getSpec();
    String jobId = spec.getJobId();
    String model = spec.getRequest().getModel();
    if (!models.containsKey(model)) {
      throw new JobFailure(
          "Model '"
              + model
              + "' is not installed on the diffusion workers; available: "
              + models.keySet());
    }
    forgetExpiredRuns();
    Run run = running.get(jobId);
    CompletableFuture<?> started = CompletableFuture.completedFuture(null);
    if (run != null) {
      if (delivery.attempt() == 1) {
        secondDeliveries.incrementAndGet();
        LOG.infof("Job %s is already running here; this delivery waits for that run", jobId);
      }
    } else {
      List<FloatTensor> conditions;
      try {
        conditions = load(job.getPrompt(), job.getNegativePrompt());
      } catch (EmbeddingMissing e) {
        // EmbeddingMissing is always made with a message.
        return encodeAgain(job, Objects.requireNonNull(e.getMessage()));
      }
      FloatTensor cond = conditions.get(0);
      FloatTensor uncond = conditions.get(1);
      started = tracker.advance(spec, JobState.DENOISING);
      run = new Run(spec, start(spec, cond, uncond));
      running.put(jobId, run);
    }
    Run mine = run;
    CompletableFuture<?> recorded =
        mine.images().thenComposeAsync(pngs -> record(spec, pngs), results);
    // handle() yields outcome()'s future, which thenCompose() flattens at once.
    @SuppressWarnings("FutureReturnValueIgnored")
    CompletableFuture<?> settled =
        CompletableFuture.allOf(started, recorded)
            .handle((ignored, error) -> outcome(mine, error))
            .thenCompose(done -> done);
    return settled;
  }

  /** The job's partition went elsewhere: stop its run, which its new owner starts again. */
  @Override
  public void revoked(Delivery<EncodedJob> delivery) {
    String jobId = delivery.jobId();
    Run run = running.get(jobId);
    if (run == null || run.images().isDone()) {
      // Finished images stay until the job's deadline: if the partition comes back here, a
      // redelivery records them instead of computing them again.
      return;
    }
    running.remove(jobId, run);
    engine.revoke(jobId);
    // The line the fault tests count: this run stops, and the job's new owner runs it.
    LOG.infof("Stopping job %s here: its partition moved to another worker", jobId);
  }

  /** Deliveries of a job that joined a run already going on here (for tests and metrics). */
  long secondDeliveries() {
    return secondDeliveries.get();
  }

  private CompletableFuture<List<Png>> start(JobSpec spec, FloatTensor cond, FloatTensor uncond) {
    String jobId = spec.getJobId();
    DenoisingRequest request =
        new DenoisingRequest(
            jobId,
            spec.getRequest().getModel(),
            spec.getRequest(),
            cond,
            uncond,
            spec.getDeadlineUnixMs(),
            stepListener(jobId, spec.getRequest().getPreviews()));
    // The line the fault tests count: each UNet run of a job starts with it.
    LOG.infof(
        "Denoising job %s: %d steps, %d image(s) of %dx%d",
        jobId,
        spec.getRequest().getSteps(),
        spec.getRequest().getCount(),
        spec.getRequest().getWidth(),
        spec.getRequest().getHeight());
    return engine.submit(request).thenApplyAsync(images -> encode(jobId, images), results);
  }

  /** Reports a job's steps, and previews of its latent when its request asked for them. */
  private DenoisingRequest.StepListener stepListener(String jobId, boolean previews) {
    ProgressThrottle steps = new ProgressThrottle(progressInterval, System::nanoTime);
    ProgressThrottle pictures = new ProgressThrottle(previewInterval, System::nanoTime);
    return new DenoisingRequest.StepListener() {
      @Override
      public void stepDone(int step, int totalSteps) {
        if (steps.shouldReport(step, totalSteps)) {
          progress.report(jobId, step, totalSteps);
        }
      }

      @Override
      public void latentAfterStep(int step, int totalSteps, DenoisingRequest.LatentPeek latent) {
        // The last step's latent is the finished image's, which comes at once in full.
        if (previews && step < totalSteps && pictures.shouldReport(step, totalSteps)) {
          progress.preview(jobId, step, totalSteps, latent.rgb(), latent.width(), latent.height());
        }
      }
    };
  }

  private List<Png> encode(String jobId, List<GeneratedImage> images) {
    long start = System.nanoTime();
    List<Png> pngs = new ArrayList<>(images.size());
    for (GeneratedImage image : images) {
      ImageReady ready =
          ImageReady.newBuilder()
              .setIndex(image.index())
              .setSeed(image.seed())
              .setWidth(image.width())
              .setHeight(image.height())
              .setPngRedisKey(RedisKeys.png(jobId, image.index()))
              .build();
      pngs.add(new Png(ready, PngEncoder.encodeRgb(image.rgb(), image.width(), image.height())));
    }
    metrics.pngEncoded(System.nanoTime() - start);
    return pngs;
  }

  /**
   * Stores every image, then ends the job SUCCEEDED in Redis and waits for that one announcement:
   * its readers find the images in the record, so the images need no events of their own. The
   * record says SUCCEEDED as soon as Redis has it, so a redelivery while Kafka is away skips the
   * job instead of running it again. Safe to repeat.
   */
  private CompletableFuture<?> record(JobSpec spec, List<Png> pngs) {
    for (Png png : pngs) {
      tracker.store().putImage(spec, png.ready(), png.bytes());
    }
    return tracker.finish(spec, JobState.SUCCEEDED, "");
  }

  /**
   * What a stopped or refused job leaves behind: expiry and requests the model cannot serve are the
   * job's outcome; a cancelled job has its outcome already; a revoked one belongs to another worker
   * now; anything else goes back to the consumer loop, which decides by its kind.
   */
  private CompletableFuture<?> outcome(Run run, @Nullable Throwable error) {
    String jobId = run.spec().getJobId();
    if (error == null) {
      running.remove(jobId, run);
      return CompletableFuture.completedFuture(null);
    }
    Throwable cause = Failures.unwrap(error);
    boolean imagesLost = run.images().isCompletedExceptionally();
    if (imagesLost) {
      // The next attempt starts a new run; finished images are kept for a retry of recording.
      running.remove(jobId, run);
    }
    if (cause instanceof JobStopped stopped) {
      return stopped.state() == JobState.EXPIRED
          ? tracker.finish(run.spec(), JobState.EXPIRED, stopped.getMessage())
          : CompletableFuture.completedFuture(null);
    }
    if (cause instanceof JobRevoked revoked) {
      // JobRevoked is always made with a message.
      return CompletableFuture.failedFuture(
          new InfrastructureUnavailable(Objects.requireNonNull(revoked.getMessage())));
    }
    if (cause instanceof IllegalArgumentException) {
      return CompletableFuture.failedFuture(new JobFailure(cause.getMessage(), cause));
    }
    return CompletableFuture.failedFuture(cause);
  }

  /**
   * Runs whose job is past its deadline are of no use to a retry; bounded by the jobs in flight.
   */
  private void forgetExpiredRuns() {
    long now = clock.millis();
    running
        .values()
        .removeIf(
            run -> run.spec().getDeadlineUnixMs() > 0 && run.spec().getDeadlineUnixMs() < now);
  }

  /** Asks the encoder workers to encode the job again: its embeddings are gone from Redis. */
  private CompletableFuture<?> encodeAgain(EncodedJob job, String what) {
    String jobId = job.getSpec().getJobId();
    if (job.getPromptTokens().getChunksCount() == 0) {
      throw new JobFailure(
          "The job's prompt embeddings were lost from Redis and its message carries no tokens to"
              + " encode them again; submit it again");
    }
    LOG.infof("Job %s: %s; sending it back to the encoder workers", jobId, what);
    TokenizedJob again =
        TokenizedJob.newBuilder()
            .setSpec(job.getSpec())
            .setPrompt(job.getPromptTokens())
            .setNegativePrompt(job.getNegativePromptTokens())
            .setRedo(true)
            .build();
    return publisher.send(tokenizedTopic, jobId, again);
  }

  /** The embeddings the references name, read in one round trip. */
  private List<FloatTensor> load(EmbeddingRef... refs) {
    List<String> keys = new ArrayList<>(refs.length);
    List<int[]> shapes = new ArrayList<>(refs.length);
    for (EmbeddingRef ref : refs) {
      keys.add(ref.getRedisKey());
      shapes.add(ref.getShapeList().stream().mapToInt(Integer::intValue).toArray());
    }
    List<Optional<FloatTensor>> found = embeddings.getAll(keys, shapes);
    List<FloatTensor> loaded = new ArrayList<>(refs.length);
    for (int i = 0; i < refs.length; i++) {
      String key = keys.get(i);
      loaded.add(
          found
              .get(i)
              .orElseThrow(() -> new EmbeddingMissing("embedding " + key + " is gone from Redis")));
    }
    return loaded;
  }

  /** An embedding that Redis no longer has: it restarted without its data, or evicted it. */
  private static final class EmbeddingMissing extends RuntimeException {
    private static final long serialVersionUID = 1L;

    EmbeddingMissing(String message) {
      super(message, null, false, false);
    }
  }
}
