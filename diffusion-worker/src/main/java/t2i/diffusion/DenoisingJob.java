package t2i.diffusion;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import t2i.diffusion.scheduler.Sampler;
import t2i.diffusion.scheduler.Samplers;
import t2i.diffusion.scheduler.SamplingOptions;
import t2i.diffusion.scheduler.SeededNoise;
import t2i.pipeline.model.ModelDirectory;
import t2i.v1.GenerateRequest;

/**
 * A request being denoised: one sample per image, each with its own sampler and latents. Image
 * {@code i} starts from noise seeded with {@code seed + i}, and draws any step noise from a second
 * stream of the same seed, so it comes out the same whichever other samples share its UNet calls.
 * Touched only by the denoising thread, then (finished) by the decode thread.
 */
final class DenoisingJob {

  static final int LATENT_CHANNELS = 4;

  /** An image's seed feeds two independent streams: its initial latents and step noise. */
  private static final long LATENT_STREAM = 0;

  private static final long STEP_NOISE_STREAM = 1;

  final DenoisingRequest request;
  final DiffusionModel model;
  final CompletableFuture<List<GeneratedImage>> result = new CompletableFuture<>();
  final int count;
  final int latentHeight;
  final int latentWidth;
  final int latentSize;
  final int sequence;
  final int hidden;
  final boolean guided;
  final float guidance;
  final BatchKey key;
  private final SamplingOptions options;
  Sampler[] samplers;
  float[][] latents;

  /** Set after a shared UNet call failed: from then on the job runs alone. */
  boolean isolated;

  /** The most rows, and jobs, of any UNet call the job was part of (denoise thread only). */
  int widestCallRows;

  int widestCallJobs;

  /**
   * @throws IllegalArgumentException if the request does not fit the model (size, steps, scheduler,
   *     embeddings), saying why
   */
  DenoisingJob(DenoisingRequest request, DiffusionModel model) {
    this.request = request;
    this.model = model;
    GenerateRequest r = request.request();
    this.count = r.getCount();
    this.latentHeight = r.getHeight() / ModelDirectory.VAE_SCALE;
    this.latentWidth = r.getWidth() / ModelDirectory.VAE_SCALE;
    this.latentSize = LATENT_CHANNELS * latentHeight * latentWidth;
    if (count < 1 || latentHeight < 1 || latentWidth < 1) {
      throw new IllegalArgumentException(
          "a job needs at least one image of at least 8x8 pixels, got "
              + count
              + " of "
              + r.getWidth()
              + "x"
              + r.getHeight());
    }
    int[] condShape = request.cond().shape();
    int[] uncondShape = request.uncond().shape();
    if (condShape.length != 2
        || uncondShape.length != 2
        || condShape[0] != uncondShape[0]
        || condShape[1] != uncondShape[1]) {
      throw new IllegalArgumentException(
          "prompt and negative prompt embeddings differ in shape: "
              + request.cond()
              + " vs "
              + request.uncond());
    }
    this.sequence = condShape[0];
    this.hidden = condShape[1];
    this.guidance = r.getGuidanceScale();
    this.guided = guidance > 1f;
    model.unet().requireShapes(latentHeight, latentWidth, sequence, hidden);
    model.vaeDecoder().requireShapes(latentHeight, latentWidth);
    this.options = SamplerChoice.options(r.getScheduler(), model.scheduler(), r.getSteps());
    this.key = new BatchKey(request.model(), latentHeight, latentWidth, sequence, hidden);
    reset();
  }

  /** (Re)starts every sample from its seed: deterministic, so a restart loses nothing. */
  void reset() {
    samplers = new Sampler[count];
    latents = new float[count][latentSize];
    for (int i = 0; i < count; i++) {
      long seed = seed(i);
      samplers[i] =
          Samplers.create(
              model.scheduler(), options, SeededNoise.forStream(seed, STEP_NOISE_STREAM));
      SeededNoise.forStream(seed, LATENT_STREAM).fillGaussian(latents[i]);
      float sigma = (float) samplers[i].initNoiseSigma();
      for (int k = 0; k < latentSize; k++) {
        latents[i][k] *= sigma;
      }
    }
  }

  long seed(int image) {
    return request.request().getSeed() + image;
  }

  String id() {
    return request.jobId();
  }

  /** Rows this job adds to a UNet call: unconditional and conditional when guided. */
  int rows() {
    return guided ? 2 * count : count;
  }

  boolean isDone() {
    return samplers[0].isDone();
  }

  /** The model timestep of the job's next step; all its samples move in step. */
  double timestep() {
    return samplers[0].timestep();
  }

  /** The first image's latent, seen through the model's preview projection. */
  DenoisingRequest.LatentPeek latentPeek() {
    return peek;
  }

  private final DenoisingRequest.LatentPeek peek =
      new DenoisingRequest.LatentPeek() {
        @Override
        public byte[] rgb() {
          return model.preview().current().rgb(latents[0], latentHeight, latentWidth);
        }

        @Override
        public int width() {
          return latentWidth;
        }

        @Override
        public int height() {
          return latentHeight;
        }
      };

  int stepsDone() {
    return samplers[0].stepIndex();
  }

  int totalSteps() {
    return samplers[0].steps();
  }
}
