package t2i.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SeededNoiseTest {
  @Test
  void fillGaussian_sameSeed_givesIdenticalValues() {
    assertThat(draw(1234, 10_000)).containsExactly(draw(1234, 10_000));
  }

  @Test
  void fillGaussian_differentSeeds_giveDifferentValues() {
    float[] a = draw(1, 1000);
    float[] b = draw(2, 1000);

    int equal = 0;
    for (int i = 0; i < a.length; i++) {
      if (a[i] == b[i]) {
        equal++;
      }
    }
    assertThat(equal).isZero();
  }

  @Test
  void fillGaussian_stateAdvances_soConsecutiveFillsDiffer() {
    SeededNoise noise = new SeededNoise(5);
    float[] first = new float[100];
    float[] second = new float[100];

    noise.fillGaussian(first);
    noise.fillGaussian(second);

    assertThat(second).isNotEqualTo(first);
  }

  @Test
  void fillGaussian_sequence_doesNotDependOnHowItIsChunked() {
    SeededNoise chunked = new SeededNoise(9);
    float[] odd = new float[7];
    float[] rest = new float[13];
    chunked.fillGaussian(odd);
    chunked.fillGaussian(rest);

    float[] whole = draw(9, 20);

    assertThat(whole).startsWith(odd);
    assertThat(Arrays.copyOfRange(whole, 7, 20)).containsExactly(rest);
  }

  @Test
  void forStream_streamsOfOneSeed_areReproducibleAndDistinct() {
    float[] latents = new float[1000];
    float[] steps = new float[1000];
    float[] again = new float[1000];
    SeededNoise.forStream(77, 0).fillGaussian(latents);
    SeededNoise.forStream(77, 1).fillGaussian(steps);
    SeededNoise.forStream(77, 0).fillGaussian(again);

    assertThat(again).containsExactly(latents);
    assertThat(steps).isNotEqualTo(latents);
    assertThat(draw(77, 1000)).isNotEqualTo(latents).isNotEqualTo(steps);
  }

  @Test
  void fillGaussian_manyValues_haveStandardNormalMoments() {
    float[] values = draw(2024, 1_000_000);
    double sum = 0;
    double sumSquares = 0;
    int withinOneSigma = 0;
    for (float v : values) {
      sum += v;
      sumSquares += (double) v * v;
      if (Math.abs(v) < 1) {
        withinOneSigma++;
      }
    }
    double mean = sum / values.length;
    double variance = sumSquares / values.length - mean * mean;

    assertThat(mean).isCloseTo(0, within(0.005));
    assertThat(variance).isCloseTo(1, within(0.01));
    assertThat(withinOneSigma / (double) values.length).isCloseTo(0.6827, within(0.003));
  }

  @Test
  void fillGaussian_seed42_givesThePinnedValuesOnEveryJvm() {
    // Pinned outputs: a change here changes every image generated from a stored seed.
    assertThat(draw(42, 4)).containsExactly(PINNED_SEED_42);
  }

  private static final float[] PINNED_SEED_42 = {
    0.49295065f, -0.69400567f, -1.2810774f, -0.9015572f
  };

  private static float[] draw(long seed, int n) {
    float[] values = new float[n];
    new SeededNoise(seed).fillGaussian(values);
    return values;
  }
}
