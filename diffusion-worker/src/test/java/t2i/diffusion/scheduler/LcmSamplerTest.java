package t2i.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * LCM schedules. The expected numbers come from diffusers' LCMScheduler with SD 1.5's config and
 * its default original_inference_steps of 50.
 */
class LcmSamplerTest {
  @Test
  void lcm_fourStepsOfDefaultDistillationSchedule_timestepsMatchDiffusers() {
    assertThat(Samplers.timesteps(Fixtures.sd15(), SamplingOptions.of(SchedulerKind.LCM, 4)))
        .containsExactly(999, 759, 499, 259);
  }

  @Test
  void lcm_oneToThreeAndEightSteps_startAtLastTrainingTimestepMatchDiffusers() {
    SchedulerConfig config = Fixtures.sd15();

    assertThat(Samplers.timesteps(config, SamplingOptions.of(SchedulerKind.LCM, 1)))
        .containsExactly(999);
    assertThat(Samplers.timesteps(config, SamplingOptions.of(SchedulerKind.LCM, 2)))
        .containsExactly(999, 499);
    assertThat(Samplers.timesteps(config, SamplingOptions.of(SchedulerKind.LCM, 3)))
        .containsExactly(999, 679, 339);
    assertThat(Samplers.timesteps(config, SamplingOptions.of(SchedulerKind.LCM, 8)))
        .containsExactly(999, 879, 759, 639, 499, 379, 259, 139);
  }

  @Test
  void lcm_timestepSpacingAndOffset_doNotApply() {
    SchedulerConfig trailing = Fixtures.sd15().withTimestepSpacing(TimestepSpacing.TRAILING);
    SchedulerConfig leading = Fixtures.sd15().withTimestepSpacing(TimestepSpacing.LEADING);

    assertThat(Samplers.timesteps(trailing, SamplingOptions.of(SchedulerKind.LCM, 4)))
        .containsExactly(Samplers.timesteps(leading, SamplingOptions.of(SchedulerKind.LCM, 4)));
  }

  @Test
  void lcm_shorterDistillationSchedule_spacesTimestepsByItsStride() {
    SchedulerConfig config = Fixtures.sd15().toBuilder().originalInferenceSteps(8).build();

    // k = 1000 // 8 = 125: the schedule is 999, 874, ..., 124; 4 steps take every second one.
    assertThat(Samplers.timesteps(config, SamplingOptions.of(SchedulerKind.LCM, 4)))
        .containsExactly(999, 749, 499, 249);
  }

  @Test
  void lcm_moreStepsThanOriginalInferenceSteps_isRejectedNamingTheLimit() {
    assertThatIllegalArgumentException()
        .isThrownBy(
            () ->
                Samplers.create(
                    Fixtures.sd15(), SamplingOptions.of(SchedulerKind.LCM, 51), new SeededNoise(1)))
        .withMessage("steps must be at most original_inference_steps (50) for LCM, got 51");
  }

  @Test
  void lcm_distillationScheduleLongerThanTraining_isRejectedNamingBothFields() {
    SchedulerConfig config = Fixtures.sd15().toBuilder().originalInferenceSteps(1001).build();

    assertThatIllegalArgumentException()
        .isThrownBy(() -> Samplers.timesteps(config, SamplingOptions.of(SchedulerKind.LCM, 4)))
        .withMessage(
            "original_inference_steps (1001) must be at most num_train_timesteps (1000) for LCM");
  }

  @Test
  void lcm_lastStep_returnsBoundaryConditionEstimateWithoutNoise() {
    int[] draws = {0};
    NoiseSource counting = out -> draws[0]++;
    Sampler sampler =
        Samplers.create(Fixtures.sd15(), SamplingOptions.of(SchedulerKind.LCM, 2), counting);
    float[] latents = {0.5f};
    sampler.step(new float[] {0.1f}, latents);
    // Timestep 499 of SD 1.5: alphas_cumprod 0.27767, c_skip = 0.25 / (4990^2 + 0.25) ~ 1e-8.
    double alphaProd = 0.2776694595813751;
    double x0 = (latents[0] - Math.sqrt(1 - alphaProd) * 0.2) / Math.sqrt(alphaProd);

    sampler.step(new float[] {0.2f}, latents);

    assertThat(draws[0]).isEqualTo(1);
    assertThat((double) latents[0]).isCloseTo(x0, within(1e-4));
  }
}
