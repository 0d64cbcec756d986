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

  private VaeDecoder(OnnxComponent component) {
    this.component = component;
    this.latent = component.signature().requireInput(LATENT, component.file());
    this.output =
        component.signature().output(SAMPLE).isPresent()
            ? SAMPLE
            : component.signature().outputs().getFirst().name();
  }

  public static VaeDecoder load(Path file, String modelName, EngineSettings engine)
      throws IOException {
    OnnxComponent component = OnnxComponent.load(file, modelName + "-vae-decoder", engine);
    try {
      return new VaeDecoder(component);
    } catch (RuntimeException e) {
      component.close();
      throw new IOException(e.getMessage(), e);
    }
  }

  /** Decodes a batch of latents into images, {@code [batch, 3, 8 * height, 8 * width]}. */
  public float[] decode(float[] latents, int batch, int channels, int height, int width) {
    try (NDManager manager = component.newCallManager()) {
      NDList out =
          component.run(
              new NDList(
                  Tensors.floats(
                      manager,
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
