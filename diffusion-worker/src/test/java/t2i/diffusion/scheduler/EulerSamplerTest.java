package t2i.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * Euler schedules. The expected numbers come from diffusers' EulerDiscreteScheduler for each config
 * (float32 values, printed in full).
 */
class EulerSamplerTest {
  private static final double SIGMA_TOLERANCE = 2e-6;

  @Test
  void euler_sd15Linspace50Steps_timestepsAndSigmasMatchDiffusers() {
    SamplingOptions options = SamplingOptions.of(SchedulerKind.EULER, 50);

    double[] timesteps = Samplers.timesteps(Fixtures.sd15(), options);
    double[] sigmas = Samplers.sigmas(Fixtures.sd15(), options);

    assertThat(timesteps)
        .containsExactly(
            999.0,
            978.6122436523438,
            958.2244873046875,
            937.8367309570312,
            917.448974609375,
            897.0612182617188,
            876.6734619140625,
            856.2857055664062,
            835.89794921875,
            815.5101928710938,
            795.1224365234375,
            774.7346801757812,
            754.346923828125,
            733.9591674804688,
            713.5714111328125,
            693.1836547851562,
            672.7958984375,
            652.4081420898438,
            632.0203857421875,
            611.6326293945312,
            591.244873046875,
            570.8571166992188,
            550.4693603515625,
            530.0816040039062,
            509.6938781738281,
            489.3061218261719,
            468.9183654785156,
            448.5306091308594,
            428.1428527832031,
            407.7550964355469,
            387.3673400878906,
            366.9795837402344,
            346.5918273925781,
            326.2040710449219,
            305.8163146972656,
            285.4285583496094,
            265.0408020019531,
            244.65306091308594,
            224.2653045654297,
            203.87754821777344,
            183.4897918701172,
            163.10203552246094,
            142.7142791748047,
            122.32653045654297,
            101.93877410888672,
            81.55101776123047,
            61.163265228271484,
            40.775508880615234,
            20.387754440307617,
            0.0);
    assertThat(sigmas)
        .containsExactly(
            new double[] {
              14.614645004272461, 12.936776161193848, 11.49164867401123, 10.242913246154785,
              9.160354614257812, 8.218738555908203, 7.3971757888793945, 6.678017616271973,
              6.046528339385986, 5.490319728851318, 4.99885892868042, 4.563307285308838,
              4.1761088371276855, 3.830843925476074, 3.522064685821533, 3.2450602054595947,
              2.9958298206329346, 2.7709178924560547, 2.567340612411499, 2.3825438022613525,
              2.2142868041992188, 2.060643434524536, 1.9199365377426147, 1.7906941175460815,
              1.6716442108154297, 1.561659336090088, 1.459755778312683, 1.3650705814361572,
              1.2768336534500122, 1.1943714618682861, 1.1170815229415894, 1.0444263219833374,
              0.975929856300354, 0.9111573100090027, 0.8497198820114136, 0.7912614941596985,
              0.7354524731636047, 0.6819884777069092, 0.6305758953094482, 0.5809316635131836,
              0.5327703356742859, 0.4857923984527588, 0.4396674931049347, 0.3940044641494751,
              0.34830307960510254, 0.301855206489563, 0.25353044271469116, 0.2011796534061432,
              0.13933750987052917, 0.029167532920837402, 0.0
            },
            within(SIGMA_TOLERANCE));
  }

  @Test
  void euler_sd15Linspace50Steps_startsAtTimestep999WithSigma14_6146() {
    Sampler sampler =
        Samplers.create(
            Fixtures.sd15(), SamplingOptions.of(SchedulerKind.EULER, 50), new SeededNoise(1));

    assertThat(sampler.timestep()).isEqualTo(999.0);
    assertThat(sampler.initNoiseSigma()).isCloseTo(14.6146, within(1e-4));
    assertThat(sampler.inputScale())
        .isCloseTo(1 / Math.sqrt(14.614645004272461 * 14.614645004272461 + 1), within(1e-7));
  }

  @Test
  void euler_sd15Leading10Steps_timestepsSigmasAndInitialNoiseMatchDiffusers() {
    SchedulerConfig config = Fixtures.sd15().withTimestepSpacing(TimestepSpacing.LEADING);
    SamplingOptions options = SamplingOptions.of(SchedulerKind.EULER, 10);

    assertThat(Samplers.timesteps(config, options))
        .containsExactly(901, 801, 701, 601, 501, 401, 301, 201, 101, 1);
    assertThat(Samplers.sigmas(config, options))
        .containsExactly(
            new double[] {
              8.390686988830566, 5.134433269500732, 3.347764492034912, 2.2928547859191895,
              1.6236928701400757, 1.1682164669036865, 0.8356532454490662, 0.5740507245063782,
              0.3461872935295105, 0.04131447896361351, 0.0
            },
            within(SIGMA_TOLERANCE));
    // Leading spacing starts below the last training timestep: sqrt(sigma_max^2 + 1).
    assertThat(Samplers.create(config, options, new SeededNoise(1)).initNoiseSigma())
        .isCloseTo(8.450066566467285, within(SIGMA_TOLERANCE));
  }

  @Test
  void euler_sdTurboTrailing10Steps_timestepsSigmasAndInitialNoiseMatchDiffusers() {
    SamplingOptions options = SamplingOptions.of(SchedulerKind.EULER, 10);

    assertThat(Samplers.timesteps(Fixtures.sdTurbo(), options))
        .containsExactly(999, 899, 799, 699, 599, 499, 399, 299, 199, 99);
    assertThat(Samplers.sigmas(Fixtures.sdTurbo(), options))
        .containsExactly(
            new double[] {
              14.614645004272461, 8.302804946899414, 5.087765216827393, 3.3210842609405518,
              2.276463747024536, 1.6128870248794556, 1.1605788469314575, 0.8298599720001221,
              0.5692853927612305, 0.34167441725730896, 0.0
            },
            within(SIGMA_TOLERANCE));
    assertThat(Samplers.create(Fixtures.sdTurbo(), options, new SeededNoise(1)).initNoiseSigma())
        .isCloseTo(14.614645004272461, within(SIGMA_TOLERANCE));
  }

  @Test
  void euler_sdTurboOneStep_denoisesFromLastTimestepToCleanSample() {
    SamplingOptions options = SamplingOptions.of(SchedulerKind.EULER, 1);

    assertThat(Samplers.timesteps(Fixtures.sdTurbo(), options)).containsExactly(999);
    assertThat(Samplers.sigmas(Fixtures.sdTurbo(), options))
        .containsExactly(new double[] {14.614645004272461, 0.0}, within(SIGMA_TOLERANCE));
  }

  @Test
  void euler_sd15Karras10Steps_timestepsAndSigmasMatchDiffusers() {
    SamplingOptions options = new SamplingOptions(SchedulerKind.EULER, 10, true);

    assertThat(Samplers.timesteps(Fixtures.sd15(), options))
        .containsExactly(
            new double[] {
              999.0, 916.2839965820312, 815.044921875, 687.1532592773438, 523.1989135742188,
              327.147216796875, 145.93902587890625, 40.85687255859375, 6.73240852355957, 0.0
            },
            within(1e-4));
    assertThat(Samplers.sigmas(Fixtures.sd15(), options))
        .containsExactly(
            new double[] {
              14.614645004272461, 9.102935791015625, 5.478400707244873, 3.1686108112335205,
              1.7494229078292847, 0.9140763878822327, 0.44692087173461914, 0.20139984786510468,
              0.08191104978322983, 0.029167532920837402, 0.0
            },
            within(SIGMA_TOLERANCE));
  }

  @Test
  void euler_finalSigmasTypeSigmaMin_endsAtNoiseLevelOfTimestepZero() {
    SchedulerConfig config =
        Fixtures.sd15().toBuilder().finalSigmasType(FinalSigmasType.SIGMA_MIN).build();

    double[] sigmas = Samplers.sigmas(config, SamplingOptions.of(SchedulerKind.EULER, 4));

    assertThat(sigmas[4]).isCloseTo(0.029167532920837402, within(SIGMA_TOLERANCE));
  }

  @Test
  void euler_inputScale_followsTheCurrentStepsSigma() {
    Sampler sampler =
        Samplers.create(
            Fixtures.sdTurbo(), SamplingOptions.of(SchedulerKind.EULER, 10), new SeededNoise(1));
    float[] latents = new float[4];

    sampler.step(new float[4], latents);

    double sigma = 8.302804946899414;
    assertThat(sampler.inputScale()).isCloseTo(1 / Math.sqrt(sigma * sigma + 1), within(1e-7));
  }
}
