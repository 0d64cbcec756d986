package t2i.diffusion;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import t2i.diffusion.image.ImageConversion;
import t2i.diffusion.scheduler.Sampler;
import t2i.diffusion.scheduler.Samplers;
import t2i.diffusion.scheduler.SamplingOptions;
import t2i.diffusion.scheduler.SeededNoise;
import t2i.pipeline.model.ModelDirectory;
import t2i.pipeline.tensor.FloatTensor;
import t2i.v1.GenerateRequest;

/**
 * The denoising loop of one request: all its images go through the UNet together, and with
 * classifier-free guidance the unconditional and conditional halves share each call. Image {@code
 * i} starts from noise seeded with {@code seed + i}, so a request's images are reproducible one by
 * one. Not thread-safe: it drives the model's single predictor.
 */
final class TextToImage {

  /** Called after each denoising step, on the loop's thread. */
  interface StepListener {
    void stepDone(int step, int totalSteps);
  }

  private static final int LATENT_CHANNELS = 4;

  /** An image's seed feeds two independent streams: its initial latents and step noise. */
  private static final long LATENT_STREAM = 0;

  private static final long STEP_NOISE_STREAM = 1;

  private final DiffusionModel model;

  TextToImage(DiffusionModel model) {
    this.model = model;
  }

  /**
   * @param cond prompt embedding {@code [sequence, hidden]}
   * @param uncond negative-prompt embedding, same shape
   * @throws IllegalArgumentException for a request the model cannot serve, saying why
   */
  List<GeneratedImage> generate(
      GenerateRequest request, FloatTensor cond, FloatTensor uncond, StepListener listener) {
    int count = request.getCount();
    int height = request.getHeight() / ModelDirectory.VAE_SCALE;
    int width = request.getWidth() / ModelDirectory.VAE_SCALE;
    int latentSize = LATENT_CHANNELS * height * width;
    int sequence = cond.shape()[0];
    int hidden = cond.shape()[1];
    if (uncond.shape()[0] != sequence || uncond.shape()[1] != hidden) {
      throw new IllegalArgumentException(
          "prompt and negative prompt embeddings differ in shape: " + cond + " vs " + uncond);
    }
    float guidance = request.getGuidanceScale();
    boolean guided = guidance > 1f;

    SamplingOptions options =
        new SamplingOptions(model.scheduler().defaultKind(), request.getSteps(), false);
    Sampler[] samplers = new Sampler[count];
    float[][] latents = new float[count][latentSize];
    for (int i = 0; i < count; i++) {
      long seed = request.getSeed() + i;
      samplers[i] =
          Samplers.create(
              model.scheduler(), options, SeededNoise.forStream(seed, STEP_NOISE_STREAM));
      SeededNoise.forStream(seed, LATENT_STREAM).fillGaussian(latents[i]);
      scale(latents[i], (float) samplers[i].initNoiseSigma());
    }

    int batch = guided ? 2 * count : count;
    float[] context = new float[batch * sequence * hidden];
    int embedding = sequence * hidden;
    for (int i = 0; i < count; i++) {
      if (guided) {
        System.arraycopy(uncond.data(), 0, context, i * embedding, embedding);
        System.arraycopy(cond.data(), 0, context, (count + i) * embedding, embedding);
      } else {
        System.arraycopy(cond.data(), 0, context, i * embedding, embedding);
      }
    }

    float[] input = new float[batch * latentSize];
    double[] timesteps = new double[batch];
    float[] noisePrediction = new float[latentSize];
    int total = samplers[0].steps();
    while (!samplers[0].isDone()) {
      float inputScale = (float) samplers[0].inputScale();
      double t = samplers[0].timestep();
      for (int i = 0; i < count; i++) {
        copyScaled(latents[i], input, i * latentSize, inputScale);
        if (guided) {
          System.arraycopy(input, i * latentSize, input, (count + i) * latentSize, latentSize);
        }
      }
      Arrays.fill(timesteps, t);
      float[] output =
          model
              .unet()
              .predict(
                  input,
                  batch,
                  LATENT_CHANNELS,
                  height,
                  width,
                  timesteps,
                  context,
                  sequence,
                  hidden);
      for (int i = 0; i < count; i++) {
        int u = i * latentSize;
        if (guided) {
          int c = (count + i) * latentSize;
          for (int k = 0; k < latentSize; k++) {
            float un = output[u + k];
            noisePrediction[k] = un + guidance * (output[c + k] - un);
          }
        } else {
          System.arraycopy(output, u, noisePrediction, 0, latentSize);
        }
        samplers[i].step(noisePrediction, latents[i]);
      }
      listener.stepDone(samplers[0].stepIndex(), total);
    }
    return decode(latents, count, height, width, request.getSeed());
  }

  private List<GeneratedImage> decode(
      float[][] latents, int count, int height, int width, long firstSeed) {
    int latentSize = latents[0].length;
    float[] batch = new float[count * latentSize];
    float inverseScaling = (float) (1.0 / model.directory().vaeScalingFactor());
    for (int i = 0; i < count; i++) {
      copyScaled(latents[i], batch, i * latentSize, inverseScaling);
    }
    float[] pixels = model.vaeDecoder().decode(batch, count, LATENT_CHANNELS, height, width);
    int imageHeight = height * ModelDirectory.VAE_SCALE;
    int imageWidth = width * ModelDirectory.VAE_SCALE;
    if (pixels.length != count * 3 * imageHeight * imageWidth) {
      throw new IllegalStateException(
          "VAE decoder returned "
              + pixels.length
              + " values for "
              + count
              + " images of "
              + imageWidth
              + "x"
              + imageHeight);
    }
    List<GeneratedImage> images = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      images.add(
          new GeneratedImage(
              i,
              firstSeed + i,
              imageWidth,
              imageHeight,
              ImageConversion.toRgb(pixels, i, imageHeight, imageWidth)));
    }
    return images;
  }

  private static void scale(float[] values, float factor) {
    for (int i = 0; i < values.length; i++) {
      values[i] *= factor;
    }
  }

  private static void copyScaled(float[] from, float[] to, int offset, float factor) {
    for (int i = 0; i < from.length; i++) {
      to[offset + i] = from[i] * factor;
    }
  }
}
