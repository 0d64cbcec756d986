package t2i.encoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PromptWeightsTest {

  private static double mean(float[] values, int from, int to) {
    double sum = 0;
    for (int i = from; i < to; i++) {
      sum += values[i];
    }
    return sum / (to - from);
  }

  @Test
  void unitWeights_changeNothing() {
    float[] embedding = {1f, 2f, 3f, 4f, 5f, 6f};
    float[] copy = embedding.clone();

    PromptWeights.apply(embedding, new float[] {1f, 1f, 1f}, 3, 2);

    assertThat(embedding).containsExactly(copy);
  }

  @Test
  void emphasis_scalesTheTokenRelativeToOthers_andKeepsEachWindowsMean() {
    // Two windows of 2 positions, hidden size 2.
    float[] embedding = {1f, 1f, 1f, 1f, 2f, 4f, 2f, 4f};
    double firstMean = mean(embedding, 0, 4);
    double secondMean = mean(embedding, 4, 8);

    PromptWeights.apply(embedding, new float[] {2f, 1f, 1f, 1f}, 2, 2);

    assertThat(embedding[0] / embedding[2]).isCloseTo(2f, within(1e-6f));
    assertThat(mean(embedding, 0, 4)).isCloseTo(firstMean, within(1e-6));
    assertThat(Arrays.copyOfRange(embedding, 4, 8)).containsExactly(2f, 4f, 2f, 4f);
    assertThat(mean(embedding, 4, 8)).isCloseTo(secondMean, within(1e-6));
  }

  @Test
  void zeroMeanWindow_isScaledWithoutRestoring() {
    float[] embedding = {1f, -1f, 0f, 0f};

    PromptWeights.apply(embedding, new float[] {3f, 1f}, 2, 2);

    assertThat(embedding).containsExactly(3f, -3f, 0f, 0f);
  }
}
