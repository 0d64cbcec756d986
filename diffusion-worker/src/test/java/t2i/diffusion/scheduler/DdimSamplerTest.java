package t2i.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** DDIM schedules; the expected numbers come from diffusers' DDIMScheduler for each config. */
class DdimSamplerTest {
  private static final SamplingOptions DDIM_50 = SamplingOptions.of(SchedulerKind.DDIM, 50);

  @Test
  void ddim_sd15Leading50Steps_timestepsMatchDiffusers() {
    double[] expected = new double[50];
    for (int i = 0; i < 50; i++) {
      expected[i] = 981 - 20 * i; // 981, 961, ..., 21, 1
    }

    assertThat(Samplers.timesteps(Fixtures.sd15(), DDIM_50)).containsExactly(expected);
    assertThat(expected[49]).isEqualTo(1.0);
  }

  @Test
  void ddim_sd15Trailing10Steps_timestepsMatchDiffusers() {
    SchedulerConfig config = Fixtures.sd15().withTimestepSpacing(TimestepSpacing.TRAILING);

    assertThat(Samplers.timesteps(config, SamplingOptions.of(SchedulerKind.DDIM, 10)))
        .containsExactly(999, 899, 799, 699, 599, 499, 399, 299, 199, 99);
  }

  @Test
  void ddim_sd15Linspace10Steps_timestepsAreRoundedMatchDiffusers() {
    SchedulerConfig config = Fixtures.sd15().withTimestepSpacing(TimestepSpacing.LINSPACE);

    assertThat(Samplers.timesteps(config, SamplingOptions.of(SchedulerKind.DDIM, 7)))
        .containsExactly(999, 832, 666, 500, 333, 166, 0);
  }

  @Test
  void ddim_sd15_modelInputIsUnscaledAndInitialNoiseIsUnit() {
    Sampler sampler = Samplers.create(Fixtures.sd15(), DDIM_50, new SeededNoise(1));

    assertThat(sampler.initNoiseSigma()).isEqualTo(1.0);
    assertThat(sampler.inputScale()).isEqualTo(1.0);
    assertThat(sampler.timestep()).isEqualTo(981.0);
  }

  @Test
  void ddim_setAlphaToOneFalse_lastStepLandsOnNoiseLevelOfTimestepZero() {
    // alphas_cumprod[0] = 0.99914998 for SD 1.5: sigma = sqrt((1 - a) / a).
    double[] sigmas = Samplers.sigmas(Fixtures.sd15(), DDIM_50);

    assertThat(sigmas[50]).isCloseTo(0.0291675, within(1e-6));
    assertThat(sigmas[0]).isCloseTo(Math.sqrt((1 - 0.005775497) / 0.005775497), within(1e-4));
  }

  @Test
  void ddim_setAlphaToOneTrue_lastStepLandsOnCleanSample() {
    SchedulerConfig config = Fixtures.sd15().toBuilder().setAlphaToOne(true).build();

    assertThat(Samplers.sigmas(config, DDIM_50)[50]).isEqualTo(0.0);
  }
}
