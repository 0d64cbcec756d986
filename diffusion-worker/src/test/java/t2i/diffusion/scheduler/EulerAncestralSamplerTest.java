package t2i.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Euler ancestral sampling. The expected numbers come from diffusers'
 * EulerAncestralDiscreteScheduler with SD-Turbo's config (trailing spacing), 4 steps: sigmas
 * 14.614645, 4.0817308, 1.6128870, 0.6932054, 0.
 */
class EulerAncestralSamplerTest {
  private static final SamplingOptions TURBO_4 =
      SamplingOptions.of(SchedulerKind.EULER_ANCESTRAL, 4);

  @Test
  void eulerAncestral_turboTrailing4Steps_timestepsAndSigmasMatchDiffusers() {
    assertThat(Samplers.timesteps(Fixtures.sdTurbo(), TURBO_4)).containsExactly(999, 749, 499, 249);
    assertThat(Samplers.sigmas(Fixtures.sdTurbo(), TURBO_4))
        .containsExactly(
            new double[] {
              14.614645004272461, 4.081730842590332, 1.6128870248794556, 0.6932054162025452, 0.0
            },
            within(2e-6));
  }

  @Test
  void eulerAncestral_firstTurboStep_movesToSigmaDownAndAddsSigmaUpNoise() {
    // Element 0 sees only the model output (epsilon 1), element 1 only the added noise (1).
    NoiseSource unitOnSecond = out -> out[1] = 1f;
    Sampler sampler = Samplers.create(Fixtures.sdTurbo(), TURBO_4, unitOnSecond);
    float[] latents = {0f, 0f};

    sampler.step(new float[] {1f, 0f}, latents);

    double sigma = 14.614645004272461;
    double sigmaDown = 1.1399877071380615;
    double sigmaUp = 3.9193053245544434;
    assertThat((double) latents[0]).isCloseTo(sigmaDown - sigma, within(1e-5));
    assertThat((double) latents[1]).isCloseTo(sigmaUp, within(1e-5));
  }

  @Test
  void eulerAncestral_sigmaUpAndDown_matchDiffusersForEachTurboStep() {
    assertThat(EulerAncestralSampler.sigmaUp(4.081730842590332, 1.6128870248794556))
        .isCloseTo(1.4816263914108276, within(1e-6));
    assertThat(EulerAncestralSampler.sigmaDown(4.081730842590332, 1.6128870248794556))
        .isCloseTo(0.6373288035392761, within(1e-6));
    assertThat(EulerAncestralSampler.sigmaUp(1.6128870248794556, 0.6932054162025452))
        .isCloseTo(0.6259146332740784, within(1e-6));
    assertThat(EulerAncestralSampler.sigmaDown(1.6128870248794556, 0.6932054162025452))
        .isCloseTo(0.2979339063167572, within(1e-6));
    assertThat(EulerAncestralSampler.sigmaUp(0.6932054162025452, 0)).isZero();
    assertThat(EulerAncestralSampler.sigmaDown(0.6932054162025452, 0)).isZero();
  }

  @Test
  void eulerAncestral_lastStep_landsOnPredictedSampleWithoutDrawingNoise() {
    int[] draws = {0};
    NoiseSource counting =
        out -> {
          draws[0]++;
          Arrays.fill(out, 1f);
        };
    Sampler sampler = Samplers.create(Fixtures.sdTurbo(), TURBO_4, counting);
    float[] latents = {1f};
    while (sampler.stepIndex() < 3) {
      sampler.step(new float[] {0f}, latents);
    }
    double sigma = 0.6932054162025452;
    float before = latents[0];

    sampler.step(new float[] {0.5f}, latents);

    assertThat(draws[0]).isEqualTo(3);
    assertThat((double) latents[0]).isCloseTo(before - sigma * 0.5, within(1e-6));
    assertThat(sampler.isDone()).isTrue();
  }

  @Test
  void eulerAncestral_oneTurboStep_startsAtLastTimestepWithFullNoise() {
    Sampler sampler =
        Samplers.create(
            Fixtures.sdTurbo(),
            SamplingOptions.of(SchedulerKind.EULER_ANCESTRAL, 1),
            new SeededNoise(3));

    assertThat(sampler.steps()).isEqualTo(1);
    assertThat(sampler.timestep()).isEqualTo(999.0);
    assertThat(sampler.initNoiseSigma()).isCloseTo(14.614645004272461, within(2e-6));
  }
}
