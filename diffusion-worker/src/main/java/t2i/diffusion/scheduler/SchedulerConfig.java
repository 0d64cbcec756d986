package t2i.diffusion.scheduler;

import com.google.errorprone.annotations.FormatMethod;
import com.google.errorprone.annotations.FormatString;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * A model's scheduler configuration: the fields of diffusers' {@code
 * scheduler/scheduler_config.json} that the samplers of this package read, with diffusers' names in
 * snake case in the JSON and in error messages.
 *
 * <p>Fields the JSON leaves out take diffusers' defaults. Two of them have defaults that differ
 * between diffusers classes and so stay empty here until a sampler of a given kind resolves them:
 * {@link #timestepSpacing()} ({@link #spacingFor}) and {@link #clipSample()} ({@link
 * #clipSampleFor}). Fields the samplers do not read are ignored. Values that are malformed, out of
 * range, or select a diffusers feature this package does not implement are rejected with an {@link
 * IllegalArgumentException} that names the field; the canonical constructor checks every value, so
 * no instance holds a bad one.
 *
 * @param className {@code _class_name}: the diffusers class the model was saved with
 * @param numTrainTimesteps {@code num_train_timesteps}: length of the training noise schedule
 * @param betaStart {@code beta_start}: first beta of a linear or scaled-linear schedule
 * @param betaEnd {@code beta_end}: last beta of a linear or scaled-linear schedule
 * @param betaSchedule {@code beta_schedule}
 * @param trainedBetas {@code trained_betas}: explicit betas replacing the schedule; empty if none
 * @param rescaleBetasZeroSnr {@code rescale_betas_zero_snr}: rescale the betas to zero terminal SNR
 * @param predictionType {@code prediction_type}
 * @param timestepSpacing {@code timestep_spacing}; empty means the default of the sampler's kind
 * @param stepsOffset {@code steps_offset}: added to leading-spaced timesteps
 * @param setAlphaToOne {@code set_alpha_to_one}: DDIM's last step lands on a clean sample rather
 *     than on the noise level of training timestep 0
 * @param clipSample {@code clip_sample}: DDIM and LCM clip the predicted clean sample; empty means
 *     the default of the sampler's kind
 * @param clipSampleRange {@code clip_sample_range}: the bound for {@code clip_sample}
 * @param useKarrasSigmas {@code use_karras_sigmas}: Euler and DPM++ use the Karras noise levels
 * @param sigmaMin {@code sigma_min}: lower end of the Karras noise levels; empty means the
 *     schedule's
 * @param sigmaMax {@code sigma_max}: upper end of the Karras noise levels; empty means the
 *     schedule's
 * @param finalSigmasType {@code final_sigmas_type}: where Euler and DPM++ end
 * @param timestepType {@code timestep_type}: what Euler passes to the model as the timestep
 * @param solverType {@code solver_type}: DPM++ 2M's second-order form
 * @param lowerOrderFinal {@code lower_order_final}: DPM++ takes a first-order last step when it has
 *     fewer than 15 steps
 * @param eulerAtFinal {@code euler_at_final}: DPM++ always takes a first-order last step
 * @param lambdaMinClipped {@code lambda_min_clipped}: DPM++ skips training timesteps whose log-SNR
 *     is below this; negative infinity skips none
 * @param originalInferenceSteps {@code original_inference_steps}: LCM's distillation schedule
 *     length
 * @param timestepScaling {@code timestep_scaling}: LCM's boundary-condition scaling
 */
public record SchedulerConfig(
    Optional<String> className,
    int numTrainTimesteps,
    double betaStart,
    double betaEnd,
    BetaSchedule betaSchedule,
    List<Double> trainedBetas,
    boolean rescaleBetasZeroSnr,
    PredictionType predictionType,
    Optional<TimestepSpacing> timestepSpacing,
    int stepsOffset,
    boolean setAlphaToOne,
    Optional<Boolean> clipSample,
    double clipSampleRange,
    boolean useKarrasSigmas,
    OptionalDouble sigmaMin,
    OptionalDouble sigmaMax,
    FinalSigmasType finalSigmasType,
    TimestepType timestepType,
    SolverType solverType,
    boolean lowerOrderFinal,
    boolean eulerAtFinal,
    double lambdaMinClipped,
    int originalInferenceSteps,
    double timestepScaling) {

  /**
   * The kind a model without a class this package implements samples with: DPM++ 2M is, like the
   * PNDM (PLMS) and LMS schedulers such models usually name, a multistep solver, and it works with
   * every prediction type.
   */
  public static final SchedulerKind FALLBACK_KIND = SchedulerKind.DPMPP_2M;

  /** Checks every value; see the class comment. */
  public SchedulerConfig {
    Objects.requireNonNull(className, "className");
    Objects.requireNonNull(betaSchedule, "beta_schedule");
    Objects.requireNonNull(trainedBetas, "trained_betas");
    Objects.requireNonNull(predictionType, "prediction_type");
    Objects.requireNonNull(timestepSpacing, "timestep_spacing");
    Objects.requireNonNull(clipSample, "clip_sample");
    Objects.requireNonNull(sigmaMin, "sigma_min");
    Objects.requireNonNull(sigmaMax, "sigma_max");
    Objects.requireNonNull(finalSigmasType, "final_sigmas_type");
    Objects.requireNonNull(timestepType, "timestep_type");
    Objects.requireNonNull(solverType, "solver_type");
    require(
        numTrainTimesteps >= 2,
        "num_train_timesteps must be at least 2, got %d",
        numTrainTimesteps);
    if (trainedBetas.isEmpty()) {
      if (betaSchedule != BetaSchedule.SQUAREDCOS_CAP_V2) {
        requireOpenUnitInterval("beta_start", betaStart);
        requireOpenUnitInterval("beta_end", betaEnd);
      }
    } else {
      require(
          trainedBetas.size() == numTrainTimesteps,
          "trained_betas must hold num_train_timesteps (%d) values, got %d",
          numTrainTimesteps,
          trainedBetas.size());
      for (int i = 0; i < trainedBetas.size(); i++) {
        Double beta = trainedBetas.get(i);
        require(
            beta != null && beta > 0 && beta < 1,
            "trained_betas[%d] must be > 0 and < 1, got %s",
            i,
            beta);
      }
      trainedBetas = List.copyOf(trainedBetas);
    }
    require(stepsOffset >= 0, "steps_offset must be >= 0, got %d", stepsOffset);
    require(
        clipSampleRange > 0 && Double.isFinite(clipSampleRange),
        "clip_sample_range must be > 0 and finite, got %s",
        clipSampleRange);
    requirePositiveIfPresent("sigma_min", sigmaMin);
    requirePositiveIfPresent("sigma_max", sigmaMax);
    if (sigmaMin.isPresent() && sigmaMax.isPresent()) {
      require(
          sigmaMin.getAsDouble() < sigmaMax.getAsDouble(),
          "sigma_min (%s) must be below sigma_max (%s)",
          sigmaMin.getAsDouble(),
          sigmaMax.getAsDouble());
    }
    require(
        !Double.isNaN(lambdaMinClipped) && lambdaMinClipped != Double.POSITIVE_INFINITY,
        "lambda_min_clipped must be a number or -Infinity, got %s",
        lambdaMinClipped);
    // Its upper bound, num_train_timesteps, is checked only when LCM samples: a small training
    // schedule should not fail to load for the other samplers over LCM's default of 50.
    require(
        originalInferenceSteps >= 1,
        "original_inference_steps must be at least 1, got %d",
        originalInferenceSteps);
    require(
        timestepScaling > 0 && Double.isFinite(timestepScaling),
        "timestep_scaling must be > 0 and finite, got %s",
        timestepScaling);
  }

  /**
   * Reads a {@code scheduler_config.json}.
   *
   * @throws IOException if the file cannot be read
   * @throws IllegalArgumentException naming the file and the field if the content is not a valid
   *     config
   */
  public static SchedulerConfig parse(Path schedulerConfigJson) throws IOException {
    String json = Files.readString(schedulerConfigJson);
    try {
      return fromJson(json);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(schedulerConfigJson + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads the text of a {@code scheduler_config.json}. Non-standard {@code NaN} and {@code
   * Infinity} literals are accepted because Python's JSON writer emits them (diffusers saves {@code
   * "lambda_min_clipped": -Infinity}).
   *
   * @throws IllegalArgumentException naming the field if the text is not a valid config
   */
  public static SchedulerConfig fromJson(String json) {
    return SchedulerConfigJson.read(json);
  }

  /** A builder holding diffusers' defaults, shared by all its scheduler classes. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this config's values. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * The kind the model was saved with ({@code _class_name}), or {@link #FALLBACK_KIND} when that is
   * missing or names a class this package does not implement.
   */
  public SchedulerKind defaultKind() {
    return className.flatMap(SchedulerKind::fromClassName).orElse(FALLBACK_KIND);
  }

  /** The timestep spacing a sampler of {@code kind} uses with this config. */
  public TimestepSpacing spacingFor(SchedulerKind kind) {
    return timestepSpacing.orElse(kind.defaultSpacing());
  }

  /**
   * Whether a sampler of {@code kind} clips the predicted clean sample: diffusers' DDIM defaults to
   * yes, LCM to no, and the other kinds never clip.
   */
  public boolean clipSampleFor(SchedulerKind kind) {
    return switch (kind) {
      case DDIM -> clipSample.orElse(true);
      case LCM -> clipSample.orElse(false);
      case EULER, EULER_ANCESTRAL, DPMPP_2M -> false;
    };
  }

  /** This config with {@code use_karras_sigmas} replaced. */
  public SchedulerConfig withUseKarrasSigmas(boolean useKarrasSigmas) {
    return toBuilder().useKarrasSigmas(useKarrasSigmas).build();
  }

  /** This config with {@code timestep_spacing} replaced. */
  public SchedulerConfig withTimestepSpacing(TimestepSpacing timestepSpacing) {
    return toBuilder().timestepSpacing(timestepSpacing).build();
  }

  /** This config with {@code prediction_type} replaced. */
  public SchedulerConfig withPredictionType(PredictionType predictionType) {
    return toBuilder().predictionType(predictionType).build();
  }

  private static void requireOpenUnitInterval(String field, double value) {
    require(value > 0 && value < 1, "%s must be > 0 and < 1, got %s", field, value);
  }

  private static void requirePositiveIfPresent(String field, OptionalDouble value) {
    if (value.isPresent()) {
      double v = value.getAsDouble();
      require(v > 0 && Double.isFinite(v), "%s must be > 0 and finite, got %s", field, v);
    }
  }

  @FormatMethod
  private static void require(boolean condition, @FormatString String format, Object... args) {
    if (!condition) {
      throw new IllegalArgumentException(String.format(format, args));
    }
  }

  /**
   * Collects values for a {@link SchedulerConfig}; {@link #build()} checks them. Not thread-safe.
   */
  public static final class Builder {
    private Optional<String> className = Optional.empty();
    private int numTrainTimesteps = 1000;
    private double betaStart = 0.0001;
    private double betaEnd = 0.02;
    private BetaSchedule betaSchedule = BetaSchedule.LINEAR;
    private List<Double> trainedBetas = List.of();
    private boolean rescaleBetasZeroSnr;
    private PredictionType predictionType = PredictionType.EPSILON;
    private Optional<TimestepSpacing> timestepSpacing = Optional.empty();
    private int stepsOffset;
    private boolean setAlphaToOne = true;
    private Optional<Boolean> clipSample = Optional.empty();
    private double clipSampleRange = 1.0;
    private boolean useKarrasSigmas;
    private OptionalDouble sigmaMin = OptionalDouble.empty();
    private OptionalDouble sigmaMax = OptionalDouble.empty();
    private FinalSigmasType finalSigmasType = FinalSigmasType.ZERO;
    private TimestepType timestepType = TimestepType.DISCRETE;
    private SolverType solverType = SolverType.MIDPOINT;
    private boolean lowerOrderFinal = true;
    private boolean eulerAtFinal;
    private double lambdaMinClipped = Double.NEGATIVE_INFINITY;
    private int originalInferenceSteps = 50;
    private double timestepScaling = 10.0;

    private Builder() {}

    private Builder(SchedulerConfig c) {
      className = c.className;
      numTrainTimesteps = c.numTrainTimesteps;
      betaStart = c.betaStart;
      betaEnd = c.betaEnd;
      betaSchedule = c.betaSchedule;
      trainedBetas = c.trainedBetas;
      rescaleBetasZeroSnr = c.rescaleBetasZeroSnr;
      predictionType = c.predictionType;
      timestepSpacing = c.timestepSpacing;
      stepsOffset = c.stepsOffset;
      setAlphaToOne = c.setAlphaToOne;
      clipSample = c.clipSample;
      clipSampleRange = c.clipSampleRange;
      useKarrasSigmas = c.useKarrasSigmas;
      sigmaMin = c.sigmaMin;
      sigmaMax = c.sigmaMax;
      finalSigmasType = c.finalSigmasType;
      timestepType = c.timestepType;
      solverType = c.solverType;
      lowerOrderFinal = c.lowerOrderFinal;
      eulerAtFinal = c.eulerAtFinal;
      lambdaMinClipped = c.lambdaMinClipped;
      originalInferenceSteps = c.originalInferenceSteps;
      timestepScaling = c.timestepScaling;
    }

    public Builder className(String value) {
      className = Optional.of(value);
      return this;
    }

    public Builder numTrainTimesteps(int value) {
      numTrainTimesteps = value;
      return this;
    }

    public Builder betaStart(double value) {
      betaStart = value;
      return this;
    }

    public Builder betaEnd(double value) {
      betaEnd = value;
      return this;
    }

    public Builder betaSchedule(BetaSchedule value) {
      betaSchedule = value;
      return this;
    }

    /** Explicit training betas; an empty list means none. */
    public Builder trainedBetas(List<Double> value) {
      trainedBetas = value;
      return this;
    }

    public Builder rescaleBetasZeroSnr(boolean value) {
      rescaleBetasZeroSnr = value;
      return this;
    }

    public Builder predictionType(PredictionType value) {
      predictionType = value;
      return this;
    }

    public Builder timestepSpacing(TimestepSpacing value) {
      timestepSpacing = Optional.of(value);
      return this;
    }

    public Builder stepsOffset(int value) {
      stepsOffset = value;
      return this;
    }

    public Builder setAlphaToOne(boolean value) {
      setAlphaToOne = value;
      return this;
    }

    public Builder clipSample(boolean value) {
      clipSample = Optional.of(value);
      return this;
    }

    public Builder clipSampleRange(double value) {
      clipSampleRange = value;
      return this;
    }

    public Builder useKarrasSigmas(boolean value) {
      useKarrasSigmas = value;
      return this;
    }

    public Builder sigmaMin(double value) {
      sigmaMin = OptionalDouble.of(value);
      return this;
    }

    public Builder sigmaMax(double value) {
      sigmaMax = OptionalDouble.of(value);
      return this;
    }

    public Builder finalSigmasType(FinalSigmasType value) {
      finalSigmasType = value;
      return this;
    }

    public Builder timestepType(TimestepType value) {
      timestepType = value;
      return this;
    }

    public Builder solverType(SolverType value) {
      solverType = value;
      return this;
    }

    public Builder lowerOrderFinal(boolean value) {
      lowerOrderFinal = value;
      return this;
    }

    public Builder eulerAtFinal(boolean value) {
      eulerAtFinal = value;
      return this;
    }

    public Builder lambdaMinClipped(double value) {
      lambdaMinClipped = value;
      return this;
    }

    public Builder originalInferenceSteps(int value) {
      originalInferenceSteps = value;
      return this;
    }

    public Builder timestepScaling(double value) {
      timestepScaling = value;
      return this;
    }

    /**
     * Builds the config.
     *
     * @throws IllegalArgumentException naming the field if a value is out of range
     */
    public SchedulerConfig build() {
      return new SchedulerConfig(
          className,
          numTrainTimesteps,
          betaStart,
          betaEnd,
          betaSchedule,
          trainedBetas,
          rescaleBetasZeroSnr,
          predictionType,
          timestepSpacing,
          stepsOffset,
          setAlphaToOne,
          clipSample,
          clipSampleRange,
          useKarrasSigmas,
          sigmaMin,
          sigmaMax,
          finalSigmasType,
          timestepType,
          solverType,
          lowerOrderFinal,
          eulerAtFinal,
          lambdaMinClipped,
          originalInferenceSteps,
          timestepScaling);
    }
  }
}
