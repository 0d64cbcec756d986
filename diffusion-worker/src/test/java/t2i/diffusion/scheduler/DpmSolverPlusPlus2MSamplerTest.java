package t2i.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * DPM++ 2M schedules. The expected numbers come from diffusers' DPMSolverMultistepScheduler with SD
 * 1.5's config (linspace spacing, its class default), 20 steps.
 */
class DpmSolverPlusPlus2MSamplerTest {
  @Test
  void dpmpp2m_sd15Linspace20Steps_timestepsAndSigmasMatchDiffusers() {
    SamplingOptions options = SamplingOptions.of(SchedulerKind.DPMPP_2M, 20);

    assertThat(Samplers.timesteps(Fixtures.sd15(), options))
        .containsExactly(
            999, 949, 899, 849, 799, 749, 699, 649, 599, 549, 500, 450, 400, 350, 300, 250, 200,
            150, 100, 50);
    assertThat(Samplers.sigmas(Fixtures.sd15(), options))
        .containsExactly(
            new double[] {
              14.614645004272461,
              10.9042387008667,
              8.302804946899414,
              6.442956924438477,
              5.087765216827393,
              4.081730842590332,
              3.3210842609405518,
              2.7354700565338135,
              2.276463747024536,
              1.910251498222351,
              1.6182795763015747,
              1.3716685771942139,
              1.1643916368484497,
              0.9871089458465576,
              0.8327531814575195,
              0.6957994699478149,
              0.5716663599014282,
              0.4560753107070923,
              0.34393182396888733,
              0.225582554936409,
              0.0
            },
            within(2e-6));
  }

  @Test
  void dpmpp2m_sd15Karras20Steps_timestepsAndSigmasMatchDiffusers() {
    SamplingOptions options = new SamplingOptions(SchedulerKind.DPMPP_2M, 20, true);

    assertThat(Samplers.timesteps(Fixtures.sd15(), options))
        .containsExactly(
            999, 962, 921, 876, 827, 772, 710, 640, 561, 474, 380, 285, 197, 123, 69, 35, 15, 6, 2,
            0);
    assertThat(Samplers.sigmas(Fixtures.sd15(), options))
        .containsExactly(
            new double[] {
              14.614645004272461,
              11.725371360778809,
              9.340210914611816,
              7.3836259841918945,
              5.7894206047058105,
              4.499843597412109,
              3.464755058288574,
              2.6408474445343018,
              1.9909214973449707,
              1.4832165241241455,
              1.0907905101776123,
              0.7909494638442993,
              0.5647244453430176,
              0.39639222621917725,
              0.2730397582054138,
              0.18416930735111237,
              0.12134243547916412,
              0.07786080986261368,
              0.048481911420822144,
              0.029167532920837402,
              0.0
            },
            within(2e-6));
  }

  @Test
  void dpmpp2m_configWithKarrasSigmas_usesThemWithoutBeingAsked() {
    SchedulerConfig config = SchedulerConfig.fromJson(Fixtures.DPM_JSON);
    SamplingOptions options = SamplingOptions.of(SchedulerKind.DPMPP_2M, 20);

    assertThat(Samplers.timesteps(config, options))
        .containsExactly(
            Samplers.timesteps(
                Fixtures.sd15(), new SamplingOptions(SchedulerKind.DPMPP_2M, 20, true)));
  }

  @Test
  void dpmpp2m_karrasTurnedOffInConfig_usesSpacedTimesteps() {
    SchedulerConfig config = SchedulerConfig.fromJson(Fixtures.DPM_JSON).withUseKarrasSigmas(false);

    assertThat(Samplers.timesteps(config, SamplingOptions.of(SchedulerKind.DPMPP_2M, 20))[1])
        .isEqualTo(949.0);
  }

  @Test
  void dpmpp2m_modelInputIsUnscaledAndInitialNoiseIsUnit() {
    Sampler sampler =
        Samplers.create(
            Fixtures.sd15(), SamplingOptions.of(SchedulerKind.DPMPP_2M, 20), new SeededNoise(1));

    assertThat(sampler.initNoiseSigma()).isEqualTo(1.0);
    assertThat(sampler.inputScale()).isEqualTo(1.0);
  }

  @Test
  void dpmpp2m_lastStepWithZeroFinalSigma_returnsThePredictedCleanSample() {
    Sampler sampler =
        Samplers.create(
            Fixtures.sd15(), SamplingOptions.of(SchedulerKind.DPMPP_2M, 2), new SeededNoise(1));
    float[] latents = {0.3f};
    sampler.step(new float[] {0.1f}, latents);
    // Timestep 500 has sigma 1.6182796: x0 = (x - s * eps) / a, a = 1 / sqrt(sigma^2 + 1), s =
    // sigma * a.
    double sigma = 1.6182795763015747;
    double alpha = 1 / Math.sqrt(sigma * sigma + 1);
    double expected = (latents[0] - sigma * alpha * 0.2) / alpha;

    sampler.step(new float[] {0.2f}, latents);

    assertThat((double) latents[0]).isCloseTo(expected, within(1e-5));
  }
}
