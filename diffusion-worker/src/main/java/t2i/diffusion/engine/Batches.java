package t2i.diffusion.engine;

import t2i.pipeline.model.OnnxSignature.TensorSpec;

/**
 * Static-shape exports (what a TensorRT engine built from ONNX needs) accept exactly one batch
 * size. Calls of other sizes are split into chunks of that size, the last one padded, and only the
 * real rows' outputs kept: callers see a model that takes any batch.
 */
final class Batches {

  private Batches() {}

  /**
   * Copies rows {@code [from, from + count)} of {@code rows} (each {@code width} long) into a batch
   * of {@code size} rows; the padding rows repeat the first copied row, a valid input.
   */
  static float[] slice(float[] rows, int width, int from, int count, int size) {
    float[] batch = new float[size * width];
    System.arraycopy(rows, from * width, batch, 0, count * width);
    for (int r = count; r < size; r++) {
      System.arraycopy(rows, from * width, batch, r * width, width);
    }
    return batch;
  }

  static double[] slice(double[] values, int from, int count, int size) {
    double[] batch = new double[size];
    System.arraycopy(values, from, batch, 0, count);
    for (int r = count; r < size; r++) {
      batch[r] = values[from];
    }
    return batch;
  }

  /** Checks that a fixed dimension of a model input has the size a request needs. */
  static void requireDimension(TensorSpec input, int dim, long needed, String what, Object model) {
    if (input.rank() > dim
        && input.shape().get(dim).isFixed()
        && input.shape().get(dim).size() != needed) {
      throw new IllegalArgumentException(
          model
              + " takes "
              + what
              + " of exactly "
              + input.shape().get(dim).size()
              + " (a static-shape export), the request needs "
              + needed);
    }
  }
}
