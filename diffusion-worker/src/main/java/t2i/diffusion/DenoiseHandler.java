package t2i.diffusion;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
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
import t2i.v1.GenerateRequest;
import t2i.v1.JobState;

/**
 * Runs an encoded job's denoising loop on the worker's UNet thread, stores and announces each
 * image, and ends the job SUCCEEDED. The consumer thread only checks the job and hands it over.
 */
final class DenoiseHandler implements JobHandler<EncodedJob> {

  static final String STAGE = "diffusion-worker";
  private static final Logger LOG = Logger.getLogger(DenoiseHandler.class);

  private final Map<String, TextToImage> pipelines;
  private final UnifiedJedis redis;
  private final JobTracker tracker;
  private final JobGate gate;
  private final Executor unetThread;
  private final Duration progressInterval;

  DenoiseHandler(
      Map<String, TextToImage> pipelines,
      UnifiedJedis redis,
      JobTracker tracker,
      JobGate gate,
      Executor unetThread,
      Duration progressInterval) {
    this.pipelines = Map.copyOf(pipelines);
    this.redis = redis;
    this.tracker = tracker;
    this.gate = gate;
    this.unetThread = unetThread;
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
    TextToImage pipeline = pipelines.get(model);
    if (pipeline == null) {
      return tracker.finish(
          spec.getJobId(),
          JobState.FAILED,
          "Model '"
              + model
              + "' is not installed on the diffusion workers; available: "
              + pipelines.keySet());
    }
    return tracker
        .advance(spec.getJobId(), JobState.DENOISING)
        .thenComposeAsync(ignored -> denoise(pipeline, job), unetThread);
  }

  private CompletableFuture<?> denoise(TextToImage pipeline, EncodedJob job) {
    JobSpec spec = job.getSpec();
    String jobId = spec.getJobId();
    GenerateRequest request = spec.getRequest();
    FloatTensor cond = load(job.getPrompt());
    FloatTensor uncond = load(job.getNegativePrompt());
    List<CompletableFuture<?>> outputs = new ArrayList<>();
    ProgressThrottle throttle = new ProgressThrottle(progressInterval, System::nanoTime);
    List<GeneratedImage> images;
    try {
      images =
          pipeline.generate(
              request,
              cond,
              uncond,
              (step, total) -> {
                if (throttle.shouldReport(step, total)) {
                  outputs.add(tracker.progress(jobId, step, total));
                }
              });
    } catch (IllegalArgumentException e) {
      LOG.infof("Job %s cannot run: %s", jobId, e.getMessage());
      return tracker.finish(jobId, JobState.FAILED, e.getMessage());
    }
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

  private FloatTensor load(EmbeddingRef ref) {
    byte[] bytes = redis.get(ref.getRedisKey().getBytes(StandardCharsets.UTF_8));
    if (bytes == null) {
      // The cache entry expired between encoding and now; a retry re-encodes nothing, so fail.
      throw new IllegalStateException("embedding " + ref.getRedisKey() + " is missing from Redis");
    }
    int[] shape = ref.getShapeList().stream().mapToInt(Integer::intValue).toArray();
    return FloatTensor.fromBytes(shape, bytes);
  }
}
