package t2i.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.api.Test;

class SamplingOptionsTest {
  @Test
  void options_stepsBelowOne_areRejected() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> SamplingOptions.of(SchedulerKind.EULER, 0))
        .withMessage("steps must be at least 1, got 0");
  }

  @Test
  void options_karrasForKindWithoutKarras_areRejected() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new SamplingOptions(SchedulerKind.DDIM, 20, true))
        .withMessage("karrasSigmas is supported by EULER and DPMPP_2M only, not DDIM");
  }

  @Test
  void create_moreStepsThanTrainingTimesteps_isRejectedNamingTheLimit() {
    assertThatIllegalArgumentException()
        .isThrownBy(
            () ->
                Samplers.create(
                    Fixtures.sd15(),
                    SamplingOptions.of(SchedulerKind.EULER, 1001),
                    new SeededNoise(1)))
        .withMessage("steps must be at most num_train_timesteps (1000), got 1001");
  }

  @Test
  void create_ddimLeadingWithOffsetPastLastTimestep_isRejected() {
    assertThatIllegalArgumentException()
        .isThrownBy(
            () ->
                Samplers.create(
                    Fixtures.sd15(),
                    SamplingOptions.of(SchedulerKind.DDIM, 1000),
                    new SeededNoise(1)))
        .withMessage(
            "steps=1000 with timestep_spacing=leading and steps_offset=1 reaches timestep 1000,"
                + " beyond the last training timestep 999; use fewer steps");
  }

  @Test
  void create_dpmStepsSoManyThatNoiseLevelsRepeat_isRejected() {
    assertThatIllegalArgumentException()
        .isThrownBy(
            () ->
                Samplers.timesteps(
                    Fixtures.sd15(), SamplingOptions.of(SchedulerKind.DPMPP_2M, 1000)))
        .withMessageStartingWith(
            "steps=1000 is too many for DPMPP_2M with timestep_spacing=linspace");
  }

  @Test
  void create_everyKindAtItsLargestStepCount_succeeds() {
    SchedulerConfig config = Fixtures.sd15();

    assertThat(Samplers.timesteps(config, SamplingOptions.of(SchedulerKind.DDIM, 999)))
        .hasSize(999);
    assertThat(Samplers.timesteps(config, SamplingOptions.of(SchedulerKind.EULER, 1000)))
        .hasSize(1000);
    assertThat(Samplers.timesteps(config, SamplingOptions.of(SchedulerKind.DPMPP_2M, 999)))
        .hasSize(999);
    assertThat(Samplers.timesteps(config, SamplingOptions.of(SchedulerKind.LCM, 50))).hasSize(50);
  }

  @Test
  void karras_configFlag_appliesOnlyToKindsThatSupportIt() {
    SchedulerConfig karras = Fixtures.sd15().withUseKarrasSigmas(true);

    assertThat(Samplers.sigmas(karras, SamplingOptions.of(SchedulerKind.EULER, 10)))
        .containsExactly(
            Samplers.sigmas(Fixtures.sd15(), new SamplingOptions(SchedulerKind.EULER, 10, true)));
    assertThat(Samplers.sigmas(karras, SamplingOptions.of(SchedulerKind.EULER_ANCESTRAL, 10)))
        .containsExactly(
            Samplers.sigmas(
                Fixtures.sd15(), SamplingOptions.of(SchedulerKind.EULER_ANCESTRAL, 10)));
  }
}
