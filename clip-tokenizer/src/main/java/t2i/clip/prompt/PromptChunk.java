package t2i.clip.prompt;

import java.util.Arrays;

/**
 * One framed window of a prompt: {@code ids} and the attention weight of each position (1 for BOS,
 * EOS and padding). The arrays belong to the chunk; callers must not change them.
 */
// equals, hashCode and toString below compare and print the arrays' contents; primitive arrays
// avoid boxing every id and weight.
@SuppressWarnings("ArrayRecordComponent")
public record PromptChunk(int[] ids, float[] weights) {

  /** True if any token of the chunk has a weight other than 1. */
  public boolean isWeighted() {
    for (float w : weights) {
      if (w != 1f) {
        return true;
      }
    }
    return false;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PromptChunk c
        && Arrays.equals(ids, c.ids)
        && Arrays.equals(weights, c.weights);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(ids) + Arrays.hashCode(weights);
  }

  @Override
  public String toString() {
    return "PromptChunk" + Arrays.toString(ids);
  }
}
