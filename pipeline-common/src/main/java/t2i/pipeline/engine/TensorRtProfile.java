package t2i.pipeline.engine;

import java.util.ArrayList;
import java.util.List;
import t2i.pipeline.model.OnnxSignature;
import t2i.pipeline.model.OnnxSignature.Dim;
import t2i.pipeline.model.OnnxSignature.TensorSpec;

/**
 * The shapes TensorRT builds its engines for ({@code t2i.engine.tensorrt.*}): without a profile,
 * ONNX Runtime's TensorRT provider builds a new engine, for minutes, whenever a call's shape falls
 * outside the shapes it has seen. With one, it builds once for the whole range, tuned for the
 * optimum; a request outside the range is refused, naming the sizes the worker takes.
 *
 * @param minBatch fewest images in one call
 * @param optBatch the batch TensorRT tunes for
 * @param maxBatch most images in one call (a UNet call with guidance holds twice as many rows)
 * @param minSize smallest image side, in pixels
 * @param optSize the side TensorRT tunes for
 * @param maxSize largest image side, in pixels
 * @param maxPromptWindows most 77-token windows of a prompt (long prompts take several)
 */
public record TensorRtProfile(
    int minBatch,
    int optBatch,
    int maxBatch,
    int minSize,
    int optSize,
    int maxSize,
    int maxPromptWindows) {

  private static final int WINDOW = 77;
  private static final int LATENT_SCALE = 8;

  public TensorRtProfile {
    if (minBatch < 1 || minBatch > optBatch || optBatch > maxBatch) {
      throw new IllegalArgumentException(
          "t2i.engine.tensorrt batches must satisfy 1 <= min-batch <= opt-batch <= max-batch, were "
              + minBatch
              + ", "
              + optBatch
              + ", "
              + maxBatch);
    }
    if (minSize < LATENT_SCALE || minSize > optSize || optSize > maxSize) {
      throw new IllegalArgumentException(
          "t2i.engine.tensorrt sizes must satisfy 8 <= min-size <= opt-size <= max-size, were "
              + minSize
              + ", "
              + optSize
              + ", "
              + maxSize);
    }
    for (int size : new int[] {minSize, optSize, maxSize}) {
      if (size % LATENT_SCALE != 0) {
        throw new IllegalArgumentException(
            "t2i.engine.tensorrt sizes must be multiples of 8, was " + size);
      }
    }
    if (maxPromptWindows < 1) {
      throw new IllegalArgumentException(
          "t2i.engine.tensorrt.max-prompt-windows must be >= 1, was " + maxPromptWindows);
    }
  }

  /** Images of 256 to 1024 px (512 tuned), one to four at a time, prompts up to 3 windows. */
  public static TensorRtProfile defaults() {
    return new TensorRtProfile(1, 1, 4, 256, 512, 1024, 3);
  }

  /** One end of the profile, or its optimum. */
  public enum Bound {
    MIN,
    OPT,
    MAX
  }

  /**
   * The provider's shape string for one model at one bound, e.g. {@code
   * sample:2x4x64x64,timestep:2,encoder_hidden_states:2x77x768}; empty when every input is fixed.
   * Batch dimensions get images times {@code rowsPerImage} (2 for a UNet with guidance), the last
   * two of a 4-D input the latent side, and a text dimension 77 tokens per window.
   *
   * @throws IllegalArgumentException for a free dimension it cannot place, naming the input
   */
  public String shapes(OnnxSignature signature, int rowsPerImage, Bound bound) {
    List<String> inputs = new ArrayList<>();
    boolean anyFree = false;
    for (TensorSpec input : signature.inputs()) {
      List<String> dims = new ArrayList<>();
      for (int i = 0; i < input.rank(); i++) {
        Dim dim = input.shape().get(i);
        if (dim.isFixed()) {
          dims.add(Long.toString(dim.size()));
          continue;
        }
        anyFree = true;
        dims.add(Integer.toString(free(input, i, rowsPerImage, bound)));
      }
      inputs.add(input.name() + ":" + String.join("x", dims));
    }
    return anyFree ? String.join(",", inputs) : "";
  }

  private int free(TensorSpec input, int index, int rowsPerImage, Bound bound) {
    if (index == 0) {
      return rowsPerImage * pick(bound, minBatch, optBatch, maxBatch);
    }
    if (input.rank() == 4 && index >= 2) {
      return pick(bound, minSize, optSize, maxSize) / LATENT_SCALE;
    }
    if (index == 1 && input.rank() <= 3) {
      return WINDOW * pick(bound, 1, 1, maxPromptWindows);
    }
    throw new IllegalArgumentException(
        "cannot give TensorRT a range for dimension "
            + index
            + " of input "
            + input
            + "; export the model with that dimension fixed");
  }

  private static int pick(Bound bound, int min, int opt, int max) {
    return switch (bound) {
      case MIN -> min;
      case OPT -> opt;
      case MAX -> max;
    };
  }

  /**
   * Checks that an image of this size is within the profile.
   *
   * @throws IllegalArgumentException naming the sizes the worker takes
   */
  public void requireSize(int width, int height) {
    if (width < minSize || width > maxSize || height < minSize || height > maxSize) {
      throw new IllegalArgumentException(
          "this worker's TensorRT engines take images of "
              + minSize
              + " to "
              + maxSize
              + " px a side (t2i.engine.tensorrt.min-size and max-size), not "
              + width
              + "x"
              + height);
    }
  }
}
