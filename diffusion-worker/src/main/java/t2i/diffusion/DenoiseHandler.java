package t2i.diffusion;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.jboss.logging.Logger;
import redis.clients.jedis.UnifiedJedis;
import t2i.diffusion.image.PngEncoder;
import t2i.pipeline.job.JobGate;
import t2i.pipeline.job.JobTracker;
import t2i.pipeline.job.RedisKeys;
import t2i.pipeline.kafka.Delivery;
import t2i.pipeline.kafka.JobHandler;
import t2i.pipeline.tensor.FloatTensor;
import t2i.pipeline.v1.EmbeddingRef;
import t2i.pipeline.v1.EncodedJob;
import t2i.pipeline.v1.ImageReady;
import t2i.pipeline.v1.JobSpec;
import t2i.v1.JobState;

/**
 * Hands an encoded job to the {@link DenoisingEngine}, and records what comes out: progress
 * (throttled), each image (stored, then announced), and the outcome. The consumer thread only
 * checks the job; images are encoded to PNG on the engine's decode thread.
 */
final class DenoiseHandler implements JobHandler<EncodedJob> {

  static final String STAGE = "diffusion-worker";
  private static final Logger LOG = Logger.getLogger(DenoiseHandler.class);

  private final Map<String, DiffusionModel> models;
  private final DenoisingEngine engine;
  private final UnifiedJedis redis;
  private final JobTracker tracker;
  private final JobGate gate;
  private final Duration progressInterval;

  DenoiseHandler(
      Map<String, DiffusionModel> models,
      DenoisingEngine engine,
      UnifiedJedis redis,
      JobTracker tracker,
      JobGate gate,
      Duration progressInterval) {
    this.models = Map.copyOf(models);
    this.engine = engine;
    this.redis = redis;
    this.tracker = tracker;
    this.gate = gate;
    this.progressInterval = progressInterval;
  }

  @Override
  public CompletionStage<?> handle(Delivery<EncodedJob> delivery) {
    EncodedJob job = delivery.value();
    JobSpec spec = job.getSpec();
    Optional<CompletableFuture<?>> skip = gate.skipReason(spec, STAGE);
    if (skip.isPresent()) {
      return skip.get();
    }
    String model = spec.getRequest().getModel();
    if (!models.containsKey(model)) {
      return tracker.finish(
          spec.getJobId(),
          JobState.FAILED,
          "Model '"
              + model
              + "' is not installed on the diffusion workers; available: "
              + models.keySet());
    }
    return tracker
        .advance(spec.getJobId(), JobState.DENOISING)
        .thenCompose(ignored -> denoise(job))
        .handle((ignored, error) -> outcome(spec.getJobId(), error))
        .thenCompose(done -> done);
  }

  private CompletableFuture<?> denoise(EncodedJob job) {
    JobSpec spec = job.getSpec();
    String jobId = spec.getJobId();
    ProgressThrottle throttle = new ProgressThrottle(progressInterval, System::nanoTime);
    DenoisingRequest request =
        new DenoisingRequest(
            jobId,
            spec.getRequest().getModel(),
            spec.getRequest(),
            load(job.getPrompt()),
            load(job.getNegativePrompt()),
            spec.getDeadlineUnixMs(),
            (step, total) -> {
              if (throttle.shouldReport(step, total)) {
                tracker
                    .progress(jobId, step, total)
                    .exceptionally(
                        e -> {
                          LOG.debugf(e, "progress event of job %s not published", jobId);
                          return null;
                        });
              }
            });
    return engine.submit(request).thenCompose(images -> publish(jobId, images));
  }

  /** Stores and announces every image, then ends the job SUCCEEDED. Runs on the decode thread. */
  private CompletableFuture<?> publish(String jobId, List<GeneratedImage> images) {
    List<CompletableFuture<?>> outputs = new ArrayList<>(images.size());
    for (GeneratedImage image : images) {
      byte[] png = PngEncoder.encodeRgb(image.rgb(), image.width(), image.height());
      ImageReady ready =
          ImageReady.newBuilder()
              .setIndex(image.index())
              .setSeed(image.seed())
              .setWidth(image.width())
              .setHeight(image.height())
              .setPngRedisKey(RedisKeys.png(jobId, image.index()))
              .build();
      outputs.add(tracker.image(jobId, ready, png));
    }
    return CompletableFuture.allOf(outputs.toArray(CompletableFuture[]::new))
        .thenCompose(ignored -> tracker.finish(jobId, JobState.SUCCEEDED, ""));
  }

  /**
   * What a stopped or refused job leaves behind: expiry and requests the model cannot serve are the
   * job's outcome; a cancelled job has its outcome already; anything else is a failure for the
   * consumer loop to retry.
   */
  private CompletableFuture<?> outcome(String jobId, Throwable error) {
    if (error == null) {
      return CompletableFuture.completedFuture(null);
    }
    Throwable cause =
        error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cause instanceof JobStopped stopped) {
      return stopped.state() == JobState.EXPIRED
          ? tracker.finish(jobId, JobState.EXPIRED, stopped.getMessage())
          : CompletableFuture.completedFuture(null);
    }
    if (cause instanceof IllegalArgumentException) {
      LOG.infof("Job %s cannot run: %s", jobId, cause.getMessage());
      return tracker.finish(jobId, JobState.FAILED, cause.getMessage());
    }
    return CompletableFuture.failedFuture(cause);
  }

  private FloatTensor load(EmbeddingRef ref) {
    byte[] bytes = redis.get(ref.getRedisKey().getBytes(StandardCharsets.UTF_8));
    if (bytes == null) {
      // Embeddings outlive jobs by far (t2i.redis.embedding-retention); this is an internal fault.
      throw new IllegalStateException("embedding " + ref.getRedisKey() + " is missing from Redis");
    }
    int[] shape = ref.getShapeList().stream().mapToInt(Integer::intValue).toArray();
    return FloatTensor.fromBytes(shape, bytes);
  }
}
