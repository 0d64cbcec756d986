package t2i.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Sampling with a model that predicts the exact noise ({@link ExactModel}) from seeded noise: every
 * sampler must end at the clean sample, and the model must see noise of the level its timestep
 * promises at every step.
 */
class ExactModelSamplingTest {
  private static final int SIZE = 4096;
  private static final float[] X0 = cleanSample();

  static Stream<Arguments> everyKindStepCountAndPrediction() {
    List<Arguments> cases = new ArrayList<>();
    for (SchedulerKind kind : SchedulerKind.values()) {
      for (int steps : new int[] {1, 4, 20, 50}) {
        for (PredictionType prediction : PredictionType.values()) {
          cases.add(Arguments.of(kind, steps, prediction, false));
          if (kind.supportsKarrasSigmas()) {
            cases.add(Arguments.of(kind, steps, prediction, true));
          }
        }
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} steps={1} {2} karras={3}")
  @MethodSource("everyKindStepCountAndPrediction")
  void sampling_exactModel_endsAtCleanSample(
      SchedulerKind kind, int steps, PredictionType prediction, boolean karras) {
    // set_alpha_to_one makes DDIM's last step land on a clean sample, as the others do.
    SchedulerConfig config =
        Fixtures.sd15().toBuilder().predictionType(prediction).setAlphaToOne(true).build();
    Sampler sampler =
        Samplers.create(config, new SamplingOptions(kind, steps, karras), new SeededNoise(7));

    float[] latents = run(sampler, new ExactModel(X0, prediction), new ArrayList<>());

    assertThat(maxAbsDifference(latents, X0)).isLessThan(1e-4);
  }

  @ParameterizedTest
  @EnumSource(PredictionType.class)
  void ddim_sd15SetAlphaToOneFalse_endsAtNoiseLevelOfTimestepZero(PredictionType prediction) {
    SchedulerConfig config = Fixtures.sd15().withPredictionType(prediction);
    Sampler sampler =
        Samplers.create(config, SamplingOptions.of(SchedulerKind.DDIM, 20), new SeededNoise(7));
    ExactModel model = new ExactModel(X0, prediction);
    List<float[]> noiseSeen = new ArrayList<>();

    float[] latents = run(sampler, model, noiseSeen);

    float[] lastNoise = noiseSeen.getLast();
    double alphaBar0 = ExactModel.alphaBarAt(0);
    for (int i = 0; i < SIZE; i++) {
      double expected = Math.sqrt(alphaBar0) * X0[i] + Math.sqrt(1 - alphaBar0) * lastNoise[i];
      assertThat((double) latents[i]).isCloseTo(expected, within(1e-4));
    }
    assertThat(maxAbsDifference(latents, X0)).isLessThan(0.2);
  }

  static Stream<Arguments> deterministicSamplers() {
    List<Arguments> cases = new ArrayList<>();
    for (PredictionType prediction : PredictionType.values()) {
      for (int steps : new int[] {4, 20, 50}) {
        cases.add(Arguments.of(SchedulerKind.DDIM, TimestepSpacing.LEADING, steps, prediction));
        cases.add(Arguments.of(SchedulerKind.DDIM, TimestepSpacing.TRAILING, steps, prediction));
        for (TimestepSpacing spacing : TimestepSpacing.values()) {
          cases.add(Arguments.of(SchedulerKind.EULER, spacing, steps, prediction));
          cases.add(Arguments.of(SchedulerKind.DPMPP_2M, spacing, steps, prediction));
        }
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1} steps={2} {3}")
  @MethodSource("deterministicSamplers")
  void deterministicSampling_exactModel_seesTheSameNoiseAtTheLevelOfEveryTimestep(
      SchedulerKind kind, TimestepSpacing spacing, int steps, PredictionType prediction) {
    SchedulerConfig config =
        Fixtures.sd15().toBuilder().predictionType(prediction).timestepSpacing(spacing).build();
    Sampler sampler = Samplers.create(config, SamplingOptions.of(kind, steps), new SeededNoise(7));
    List<float[]> noiseSeen = new ArrayList<>();

    run(sampler, new ExactModel(X0, prediction), noiseSeen);

    // The first step starts from pure noise, which the last training timestep only approximates;
    // from then on the sample moves along the forward process of a single noise draw.
    for (int step = 2; step < noiseSeen.size(); step++) {
      assertThat(maxAbsDifference(noiseSeen.get(step), noiseSeen.get(1)))
          .as("step %d", step)
          .isLessThan(1e-3);
    }
  }

  @ParameterizedTest(name = "{0} steps={1} {2}")
  @MethodSource("stochasticSamplers")
  void stochasticSampling_exactModel_seesUnitNoiseAtTheLevelOfEveryTimestep(
      SchedulerKind kind, int steps, PredictionType prediction) {
    SchedulerConfig config = Fixtures.sdTurbo().toBuilder().predictionType(prediction).build();
    Sampler sampler = Samplers.create(config, SamplingOptions.of(kind, steps), new SeededNoise(7));
    List<float[]> noiseSeen = new ArrayList<>();

    run(sampler, new ExactModel(X0, prediction), noiseSeen);

    for (int step = 0; step < noiseSeen.size(); step++) {
      float[] noise = noiseSeen.get(step);
      double mean = 0;
      double squares = 0;
      for (float v : noise) {
        mean += v;
        squares += (double) v * v;
      }
      mean /= noise.length;
      double variance = squares / noise.length - mean * mean;
      assertThat(mean).as("mean at step %d", step).isCloseTo(0, within(0.05));
      assertThat(variance).as("variance at step %d", step).isCloseTo(1, within(0.1));
    }
  }

  static Stream<Arguments> stochasticSamplers() {
    List<Arguments> cases = new ArrayList<>();
    for (PredictionType prediction : PredictionType.values()) {
      for (int steps : new int[] {2, 4, 20}) {
        cases.add(Arguments.of(SchedulerKind.EULER_ANCESTRAL, steps, prediction));
        cases.add(Arguments.of(SchedulerKind.LCM, steps, prediction));
      }
    }
    return cases.stream();
  }

  /** The denoising loop: initial latents from their own seeded noise, one model call a step. */
  private static float[] run(Sampler sampler, ExactModel model, List<float[]> noiseSeen) {
    float[] latents = new float[SIZE];
    new SeededNoise(1234).fillGaussian(latents);
    for (int i = 0; i < SIZE; i++) {
      latents[i] = (float) (latents[i] * sampler.initNoiseSigma());
    }
    float[] input = new float[SIZE];
    while (!sampler.isDone()) {
      double scale = sampler.inputScale();
      for (int i = 0; i < SIZE; i++) {
        input[i] = (float) (latents[i] * scale);
      }
      float[] output = model.predict(input, sampler.timestep());
      noiseSeen.add(model.impliedNoise());
      sampler.step(output, latents);
    }
    return latents;
  }

  private static double maxAbsDifference(float[] a, float[] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  /** A smooth, latent-sized clean sample with values of about unit size. */
  private static float[] cleanSample() {
    float[] x0 = new float[SIZE];
    for (int i = 0; i < SIZE; i++) {
      x0[i] = (float) (0.8 * Math.sin(0.37 * i) + 0.3 * Math.cos(0.011 * i));
    }
    return x0;
  }
}
