package t2i.encoder;

/**
 * Applies attention weights to text embeddings as AUTOMATIC1111 does: each token's embedding is
 * multiplied by its weight, then each window is rescaled so that its mean is what it was before.
 * Emphasis thus shifts attention between tokens without changing the embedding's overall scale.
 */
final class PromptWeights {

  private PromptWeights() {}

  /**
   * @param embedding {@code [windows * window, hidden]} row-major, changed in place
   * @param weights one weight per token position, {@code windows * window} of them
   */
  static void apply(float[] embedding, float[] weights, int window, int hidden) {
    int positions = weights.length;
    if (embedding.length != positions * hidden || positions % window != 0) {
      throw new IllegalArgumentException(
          "need " + positions + " x " + hidden + " values in whole windows of " + window);
    }
    int windowSize = window * hidden;
    for (int start = 0; start < embedding.length; start += windowSize) {
      double before = mean(embedding, start, windowSize);
      for (int p = 0; p < window; p++) {
        float w = weights[start / hidden + p];
        int row = start + p * hidden;
        for (int k = 0; k < hidden; k++) {
          embedding[row + k] *= w;
        }
      }
      double after = mean(embedding, start, windowSize);
      if (after != 0 && Double.isFinite(before / after)) {
        float restore = (float) (before / after);
        for (int i = start; i < start + windowSize; i++) {
          embedding[i] *= restore;
        }
      }
    }
  }

  private static double mean(float[] values, int from, int length) {
    double sum = 0;
    for (int i = from; i < from + length; i++) {
      sum += values[i];
    }
    return sum / length;
  }
}
