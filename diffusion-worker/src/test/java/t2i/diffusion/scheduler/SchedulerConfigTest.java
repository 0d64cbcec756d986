package t2i.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SchedulerConfigTest {
  @Test
  void fromJson_sd15Config_readsDiffusersFields() {
    SchedulerConfig config = Fixtures.sd15();

    assertThat(config.className()).contains("PNDMScheduler");
    assertThat(config.numTrainTimesteps()).isEqualTo(1000);
    assertThat(config.betaStart()).isEqualTo(0.00085);
    assertThat(config.betaEnd()).isEqualTo(0.012);
    assertThat(config.betaSchedule()).isEqualTo(BetaSchedule.SCALED_LINEAR);
    assertThat(config.trainedBetas()).isEmpty();
    assertThat(config.stepsOffset()).isEqualTo(1);
    assertThat(config.setAlphaToOne()).isFalse();
    assertThat(config.clipSample()).contains(false);
    assertThat(config.predictionType()).isEqualTo(PredictionType.EPSILON);
    assertThat(config.timestepSpacing()).isEmpty();
  }

  @Test
  void fromJson_fieldsOfOtherSchedulers_areIgnored() {
    SchedulerConfig config =
        SchedulerConfig.fromJson(
            """
            {"skip_prk_steps": true, "algorithm_type": "sde-dpmsolver++", "solver_order": 3,
             "variance_type": null, "sample_max_value": 1.0, "something_new": [1, {"a": 2}]}
            """);

    assertThat(config).isEqualTo(SchedulerConfig.builder().build());
  }

  @Test
  void fromJson_emptyObject_takesDiffusersDefaults() {
    SchedulerConfig config = SchedulerConfig.fromJson("{}");

    assertThat(config.numTrainTimesteps()).isEqualTo(1000);
    assertThat(config.betaStart()).isEqualTo(0.0001);
    assertThat(config.betaEnd()).isEqualTo(0.02);
    assertThat(config.betaSchedule()).isEqualTo(BetaSchedule.LINEAR);
    assertThat(config.setAlphaToOne()).isTrue();
    assertThat(config.stepsOffset()).isZero();
    assertThat(config.finalSigmasType()).isEqualTo(FinalSigmasType.ZERO);
    assertThat(config.lowerOrderFinal()).isTrue();
    assertThat(config.lambdaMinClipped()).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(config.originalInferenceSteps()).isEqualTo(50);
    assertThat(config.timestepScaling()).isEqualTo(10.0);
    assertThat(config.defaultKind()).isEqualTo(SchedulerConfig.FALLBACK_KIND);
  }

  @Test
  void fromJson_lcmClassWithoutBetaFields_takesLcmDefaults() {
    SchedulerConfig config = SchedulerConfig.fromJson("{\"_class_name\": \"LCMScheduler\"}");

    assertThat(config.betaStart()).isEqualTo(0.00085);
    assertThat(config.betaEnd()).isEqualTo(0.012);
    assertThat(config.betaSchedule()).isEqualTo(BetaSchedule.SCALED_LINEAR);
  }

  @Test
  void fromJson_pythonInfinityLiteral_isAccepted() {
    SchedulerConfig config = SchedulerConfig.fromJson(Fixtures.DPM_JSON);

    assertThat(config.lambdaMinClipped()).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(config.useKarrasSigmas()).isTrue();
    assertThat(config.timestepSpacing()).contains(TimestepSpacing.LINSPACE);
    assertThat(config.defaultKind()).isEqualTo(SchedulerKind.DPMPP_2M);
  }

  @Test
  void fromJson_uniPcSolverType_readsAsMidpointAsDiffusersDoes() {
    assertThat(SchedulerConfig.fromJson("{\"solver_type\": \"bh2\"}").solverType())
        .isEqualTo(SolverType.MIDPOINT);
    assertThat(SchedulerConfig.fromJson("{\"solver_type\": \"heun\"}").solverType())
        .isEqualTo(SolverType.HEUN);
  }

  @Test
  void fromJson_trainedBetas_replaceTheSchedule() {
    SchedulerConfig config =
        SchedulerConfig.fromJson(
            "{\"num_train_timesteps\": 3, \"trained_betas\": [0.1, 0.2, 0.3]}");

    assertThat(config.trainedBetas()).containsExactly(0.1, 0.2, 0.3);
  }

  @Test
  void parse_fileOnDisk_readsTheSameConfigAsFromJson(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("scheduler_config.json");
    Files.writeString(file, Fixtures.SD_TURBO_JSON);

    assertThat(SchedulerConfig.parse(file)).isEqualTo(Fixtures.sdTurbo());
  }

  @Test
  void parse_badValueInFile_messageNamesTheFileAndTheField(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("scheduler_config.json");
    Files.writeString(file, "{\"steps_offset\": -1}");

    assertThatIllegalArgumentException()
        .isThrownBy(() -> SchedulerConfig.parse(file))
        .withMessage(file + ": steps_offset must be >= 0, got -1");
  }

  @Test
  void defaultKind_implementedClasses_mapToTheirKind() {
    for (SchedulerKind kind : SchedulerKind.values()) {
      String json = "{\"_class_name\": \"" + kind.diffusersClassName() + "\"}";
      assertThat(SchedulerConfig.fromJson(json).defaultKind()).isEqualTo(kind);
    }
  }

  @Test
  void defaultKind_pndmOfSd15_fallsBackToDpmpp2m() {
    assertThat(Fixtures.sd15().defaultKind()).isEqualTo(SchedulerKind.DPMPP_2M);
    assertThat(SchedulerKind.fromClassName("PNDMScheduler")).isEmpty();
    assertThat(SchedulerKind.fromClassName("LMSDiscreteScheduler")).isEmpty();
    assertThat(SchedulerKind.fromClassName("EulerDiscreteScheduler")).contains(SchedulerKind.EULER);
  }

  @Test
  void spacingFor_configWithoutSpacing_usesEachDiffusersClassDefault() {
    SchedulerConfig config = Fixtures.sd15();

    assertThat(config.spacingFor(SchedulerKind.DDIM)).isEqualTo(TimestepSpacing.LEADING);
    assertThat(config.spacingFor(SchedulerKind.EULER)).isEqualTo(TimestepSpacing.LINSPACE);
    assertThat(config.spacingFor(SchedulerKind.EULER_ANCESTRAL))
        .isEqualTo(TimestepSpacing.LINSPACE);
    assertThat(config.spacingFor(SchedulerKind.DPMPP_2M)).isEqualTo(TimestepSpacing.LINSPACE);
    assertThat(config.spacingFor(SchedulerKind.LCM)).isEqualTo(TimestepSpacing.LEADING);
    assertThat(Fixtures.sdTurbo().spacingFor(SchedulerKind.DDIM))
        .isEqualTo(TimestepSpacing.TRAILING);
  }

  @Test
  void clipSampleFor_configWithoutClipSample_ddimClipsAndLcmDoesNot() {
    SchedulerConfig config = SchedulerConfig.builder().build();

    assertThat(config.clipSampleFor(SchedulerKind.DDIM)).isTrue();
    assertThat(config.clipSampleFor(SchedulerKind.LCM)).isFalse();
    assertThat(config.clipSampleFor(SchedulerKind.EULER)).isFalse();
    assertThat(Fixtures.sd15().clipSampleFor(SchedulerKind.DDIM)).isFalse();
  }

  @Test
  void withers_replaceOneFieldAndKeepTheRest() {
    SchedulerConfig config =
        Fixtures.sd15()
            .withUseKarrasSigmas(true)
            .withTimestepSpacing(TimestepSpacing.TRAILING)
            .withPredictionType(PredictionType.V_PREDICTION);

    assertThat(config.useKarrasSigmas()).isTrue();
    assertThat(config.timestepSpacing()).contains(TimestepSpacing.TRAILING);
    assertThat(config.predictionType()).isEqualTo(PredictionType.V_PREDICTION);
    assertThat(config.toBuilder().useKarrasSigmas(false).build())
        .isEqualTo(
            Fixtures.sd15()
                .withTimestepSpacing(TimestepSpacing.TRAILING)
                .withPredictionType(PredictionType.V_PREDICTION));
    assertThat(config.className()).isEqualTo(Optional.of("PNDMScheduler"));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          {"num_train_timesteps": 1}                 | num_train_timesteps must be at least 2, got 1
          {"num_train_timesteps": "1000"}            | num_train_timesteps must be an integer, got "1000"
          {"num_train_timesteps": 1000.5}            | num_train_timesteps must be an integer, got 1000.5
          {"beta_start": 0}                          | beta_start must be > 0 and < 1, got 0.0
          {"beta_end": 1.5}                          | beta_end must be > 0 and < 1, got 1.5
          {"beta_start": "small"}                    | beta_start must be a number, got "small"
          {"beta_schedule": "cosine"}                | beta_schedule must be one of [linear, scaled_linear, squaredcos_cap_v2], got 'cosine'
          {"trained_betas": [0.1, 0.2]}              | trained_betas must hold num_train_timesteps (1000) values, got 2
          {"trained_betas": []}                      | trained_betas must be null or hold the betas, got []
          {"trained_betas": "0.1"}                   | trained_betas must be an array of numbers, got "0.1"
          {"num_train_timesteps": 2, "trained_betas": [0.1, 1.0]} | trained_betas[1] must be > 0 and < 1, got 1.0
          {"prediction_type": "flow_prediction"}     | prediction_type must be one of [epsilon, v_prediction, sample], got 'flow_prediction'
          {"timestep_spacing": "uniform"}            | timestep_spacing must be one of [linspace, leading, trailing], got 'uniform'
          {"steps_offset": -1}                       | steps_offset must be >= 0, got -1
          {"set_alpha_to_one": "yes"}                | set_alpha_to_one must be true or false, got "yes"
          {"clip_sample_range": 0}                   | clip_sample_range must be > 0 and finite, got 0.0
          {"sigma_min": -1}                          | sigma_min must be > 0 and finite, got -1.0
          {"sigma_min": 5, "sigma_max": 1}           | sigma_min (5.0) must be below sigma_max (1.0)
          {"final_sigmas_type": "max"}               | final_sigmas_type must be one of [zero, sigma_min], got 'max'
          {"timestep_type": "int"}                   | timestep_type must be one of [discrete, continuous], got 'int'
          {"solver_type": "rk4"}                     | solver_type must be one of [midpoint, heun], got 'rk4'
          {"original_inference_steps": 0}            | original_inference_steps must be at least 1, got 0
          {"timestep_scaling": 0}                    | timestep_scaling must be > 0 and finite, got 0.0
          {"lambda_min_clipped": NaN}                | lambda_min_clipped must be a number or -Infinity, got NaN
          {"thresholding": true}                     | thresholding=true is not supported; it must be false
          {"use_exponential_sigmas": true}           | use_exponential_sigmas=true is not supported; it must be false
          {"use_beta_sigmas": true}                  | use_beta_sigmas=true is not supported; it must be false
          {"interpolation_type": "log_linear"}       | interpolation_type must be 'linear' (the only one supported), got 'log_linear'
          {"_class_name": 5}                         | _class_name must be a string, got 5
          [1, 2]                                     | scheduler config must be a JSON object
          """)
  void fromJson_badValue_throwsNamingTheFieldAndAllowedRange(String json, String message) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> SchedulerConfig.fromJson(json))
        .withMessage(message);
  }

  @Test
  void fromJson_malformedJson_throwsIllegalArgument() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> SchedulerConfig.fromJson("{\"beta_start\": "))
        .withMessageStartingWith("scheduler config is not valid JSON: ");
  }

  @Test
  void builder_badValue_throwsNamingTheField() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> SchedulerConfig.builder().trainedBetas(List.of(0.5)).build())
        .withMessage("trained_betas must hold num_train_timesteps (1000) values, got 1");
  }
}
