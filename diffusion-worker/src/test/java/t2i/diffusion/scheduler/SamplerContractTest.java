package t2i.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SamplerContractTest {
  @ParameterizedTest
  @EnumSource(SchedulerKind.class)
  void step_advancesUntilDoneThenRefuses(SchedulerKind kind) {
    Sampler sampler = Samplers.create(Fixtures.sd15(), SamplingOptions.of(kind, 3), noise());
    float[] latents = new float[16];

    for (int i = 0; i < 3; i++) {
      assertThat(sampler.isDone()).isFalse();
      assertThat(sampler.stepIndex()).isEqualTo(i);
      sampler.step(new float[16], latents);
    }

    assertThat(sampler.steps()).isEqualTo(3);
    assertThat(sampler.stepIndex()).isEqualTo(3);
    assertThat(sampler.isDone()).isTrue();
    assertThatIllegalStateException()
        .isThrownBy(() -> sampler.step(new float[16], latents))
        .withMessage("sampling is done: all 3 steps have been taken");
    assertThatIllegalStateException().isThrownBy(sampler::timestep);
    assertThatIllegalStateException().isThrownBy(sampler::inputScale);
  }

  @ParameterizedTest
  @EnumSource(SchedulerKind.class)
  void step_arraysOfDifferentLength_areRejectedWithoutAdvancing(SchedulerKind kind) {
    Sampler sampler = Samplers.create(Fixtures.sd15(), SamplingOptions.of(kind, 3), noise());

    assertThatIllegalArgumentException()
        .isThrownBy(() -> sampler.step(new float[4], new float[5]))
        .withMessage("modelOutput has 4 values but latents has 5; they must match");
    assertThat(sampler.stepIndex()).isZero();
  }

  @ParameterizedTest
  @EnumSource(SchedulerKind.class)
  void timesteps_reportedBySampler_matchTheSchedule(SchedulerKind kind) {
    SamplingOptions options = SamplingOptions.of(kind, 7);
    double[] timesteps = Samplers.timesteps(Fixtures.sd15(), options);
    Sampler sampler = Samplers.create(Fixtures.sd15(), options, noise());
    float[] latents = new float[2];

    for (double expected : timesteps) {
      assertThat(sampler.timestep()).isEqualTo(expected);
      sampler.step(new float[2], latents);
    }
    assertThat(Samplers.sigmas(Fixtures.sd15(), options)).hasSize(8);
  }

  @ParameterizedTest
  @EnumSource(SchedulerKind.class)
  void sampling_sameInputsAndNoiseSeed_isBitIdentical(SchedulerKind kind) {
    assertThat(sample(kind, 11)).containsExactly(sample(kind, 11));
  }

  private static float[] sample(SchedulerKind kind, long seed) {
    Sampler sampler =
        Samplers.create(Fixtures.sd15(), SamplingOptions.of(kind, 6), new SeededNoise(seed));
    float[] latents = new float[64];
    new SeededNoise(seed + 1).fillGaussian(latents);
    while (!sampler.isDone()) {
      float[] modelOutput = new float[64];
      for (int i = 0; i < 64; i++) {
        modelOutput[i] = (float) (0.5 * latents[i] * sampler.inputScale() + 0.01 * i);
      }
      sampler.step(modelOutput, latents);
    }
    return latents;
  }

  private static NoiseSource noise() {
    return new SeededNoise(42);
  }
}
