package t2i.diffusion;

import java.nio.file.Path;
import java.util.Optional;
import java.util.Random;
import org.jboss.logging.Logger;
import t2i.diffusion.engine.VaeDecoder;
import t2i.diffusion.image.LatentPreview;
import t2i.pipeline.model.ModelDirectory;

/**
 * A model's preview projection ({@link LatentPreview}): the one stored with the model, or else one
 * fitted to its VAE decoder here. Without a stored one, a first rough fit comes from seeded random
 * latents at load; then every image the worker decodes adds its final latent and its colours, and
 * the projection is fitted again from those real pairs, which lie where the decoder is used.
 * Thread-safe.
 */
final class LatentPreviewFit {

  private static final Logger LOG = Logger.getLogger(LatentPreviewFit.class);

  /** Random latents decoded for the first fit; each gives one sample per latent pixel. */
  static final int SAMPLES = 4;

  /** Decoded images after which the fit from real images is logged, for storing it. */
  static final int IMAGES_TO_REPORT = 16;

  private static final long SEED = 20261201L;

  private final String model;
  private final Path file;
  private final boolean stored;
  private final LatentPreview.Fit fromImages = new LatentPreview.Fit(DenoisingJob.LATENT_CHANNELS);
  private volatile LatentPreview current;
  private int images;

  private LatentPreviewFit(String model, Path file, LatentPreview current, boolean stored) {
    this.model = model;
    this.file = file;
    this.current = current;
    this.stored = stored;
  }

  static LatentPreviewFit of(
      ModelDirectory directory, Optional<LatentPreview> stored, VaeDecoder vae) {
    Path file = directory.root().resolve(LatentPreview.FILE);
    if (stored.isPresent()) {
      return new LatentPreviewFit(directory.name(), file, stored.get(), true);
    }
    int latentSize = directory.defaultImageSize() / ModelDirectory.VAE_SCALE;
    long start = System.nanoTime();
    LatentPreview rough = fitRandom(vae, directory.vaeScalingFactor(), latentSize, latentSize);
    LOG.infof(
        "Model %s has no %s; fitted a rough preview projection to random latents in %d ms. It is"
            + " fitted again from the images this worker makes, and logged after %d of them for"
            + " storing.",
        directory.name(),
        LatentPreview.FILE,
        (System.nanoTime() - start) / 1_000_000,
        IMAGES_TO_REPORT);
    return new LatentPreviewFit(directory.name(), file, rough, false);
  }

  /** The projection to use now. */
  LatentPreview current() {
    return current;
  }

  /**
   * Learns from a decoded image: its final latent (planar {@code [4, h, w]}) and image {@code
   * index} of the decoder's planar {@code [batch, 3, 8h, 8w]} output in {@code [-1, 1]}. Nothing to
   * learn for a model with a stored projection.
   */
  void learn(float[] latent, float[] pixels, int index, int latentHeight, int latentWidth) {
    if (stored) {
      return;
    }
    float[] colours = pool(pixels, index, latentHeight, latentWidth);
    LatentPreview refitted;
    boolean report;
    synchronized (fromImages) {
      fromImages.add(latent, colours, 1, latentHeight * latentWidth);
      images++;
      try {
        refitted = fromImages.solve();
      } catch (IllegalArgumentException e) {
        // Too few distinct pixels yet (a flat image): keep the projection in use.
        return;
      }
      report = images == IMAGES_TO_REPORT;
    }
    current = refitted;
    if (report) {
      LOG.infof(
          "Preview projection of model %s fitted from %d images; store it as %s: %s",
          model, IMAGES_TO_REPORT, file, refitted.toJson());
    }
  }

  static LatentPreview fitRandom(
      VaeDecoder vae, double scalingFactor, int latentHeight, int latentWidth) {
    int channels = DenoisingJob.LATENT_CHANNELS;
    int plane = latentHeight * latentWidth;
    Random random = new Random(SEED);
    LatentPreview.Fit fit = new LatentPreview.Fit(channels);
    float inverseScaling = (float) (1.0 / scalingFactor);
    for (int s = 0; s < SAMPLES; s++) {
      float[] latent = new float[channels * plane];
      float[] input = new float[latent.length];
      for (int k = 0; k < latent.length; k++) {
        latent[k] = (float) random.nextGaussian();
        input[k] = latent[k] * inverseScaling;
      }
      // One latent per call: every exported decoder takes a batch of one.
      float[] pixels = vae.decode(input, 1, channels, latentHeight, latentWidth);
      fit.add(latent, pool(pixels, 0, latentHeight, latentWidth), 1, plane);
    }
    return fit.solve();
  }

  /** Image {@code index} of planar decoder output, averaged down to one colour per latent pixel. */
  static float[] pool(float[] pixels, int index, int latentHeight, int latentWidth) {
    int scale = ModelDirectory.VAE_SCALE;
    int plane = latentHeight * latentWidth;
    int imageWidth = latentWidth * scale;
    int imagePlane = plane * scale * scale;
    int base = index * 3 * imagePlane;
    float[] colours = new float[3 * plane];
    for (int colour = 0; colour < 3; colour++) {
      for (int y = 0; y < latentHeight; y++) {
        for (int x = 0; x < latentWidth; x++) {
          double sum = 0;
          for (int dy = 0; dy < scale; dy++) {
            int row = base + colour * imagePlane + (y * scale + dy) * imageWidth + x * scale;
            for (int dx = 0; dx < scale; dx++) {
              sum += pixels[row + dx];
            }
          }
          colours[colour * plane + y * latentWidth + x] = (float) (sum / (scale * scale));
        }
      }
    }
    return colours;
  }
}
