package t2i.diffusion.engine;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import t2i.pipeline.model.OnnxSignature.TensorSpec;

/**
 * A Stable Diffusion VAE decoder: latents {@code [batch, 4, h, w]} (already divided by the model's
 * scaling factor) in, images {@code [batch, 3, 8h, 8w]} in {@code [-1, 1]} out. Not thread-safe
 * (one predictor); owns its model.
 */
public final class VaeDecoder implements AutoCloseable {

  static final String LATENT = "latent_sample";
  static final String SAMPLE = "sample";

  private final OnnxComponent component;
  private final TensorSpec latent;
  private final String output;
  private final int fixedBatch;
  private final InputBuffers buffers = new InputBuffers(1);

  private VaeDecoder(OnnxComponent component) {
    this.component = component;
    this.latent = component.signature().requireInput(LATENT, component.file());
    this.output =
        component.signature().output(SAMPLE).isPresent()
            ? SAMPLE
            : component.signature().outputs().getFirst().name();
    this.fixedBatch = latent.fixedBatchSize();
  }

  /**
   * Checks that the decoder can take latents of this size.
   *
   * @throws IllegalArgumentException naming the size the model takes
   */
  public void requireShapes(int latentHeight, int latentWidth) {
    String name = "the VAE decoder " + component.file();
    Batches.requireDimension(latent, 2, latentHeight, "latent height", name);
    Batches.requireDimension(latent, 3, latentWidth, "latent width", name);
  }

  public static VaeDecoder load(Path file, String modelName, EngineSettings engine)
      throws IOException {
    OnnxComponent component = OnnxComponent.load(file, modelName + "-vae-decoder", engine, 1);
    try {
      return new VaeDecoder(component);
    } catch (RuntimeException e) {
      component.close();
      throw new IOException(e.getMessage(), e);
    }
  }

  /** Decodes a batch of latents into images, {@code [batch, 3, 8 * height, 8 * width]}. */
  public float[] decode(float[] latents, int batch, int channels, int height, int width) {
    if (fixedBatch == 0 || fixedBatch == batch) {
      return run(latents, batch, channels, height, width);
    }
    int latentSize = channels * height * width;
    int imageSize = 3 * 64 * height * width;
    float[] images = new float[batch * imageSize];
    for (int from = 0; from < batch; from += fixedBatch) {
      int count = Math.min(fixedBatch, batch - from);
      float[] out =
          run(
              Batches.slice(latents, latentSize, from, count, fixedBatch),
              fixedBatch,
              channels,
              height,
              width);
      System.arraycopy(out, 0, images, from * imageSize, count * imageSize);
    }
    return images;
  }

  private float[] run(float[] latents, int batch, int channels, int height, int width) {
    try (NDManager manager = component.newCallManager()) {
      NDList out =
          component.run(
              new NDList(
                  Tensors.floats(
                      manager,
                      buffers,
                      0,
                      latents,
                      new Shape(batch, channels, height, width),
                      latent.type(),
                      LATENT)));
      return Tensors.toFloats(out.get(output));
    }
  }

  /** Time spent inside the engine's calls so far, in nanoseconds (for overhead measurements). */
  public long engineNanos() {
    return component.engineNanos();
  }

  @Override
  public void close() {
    component.close();
  }
}
