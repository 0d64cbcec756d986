package t2i.diffusion.scheduler;

/**
 * What the Euler sampler passes to the model as the timestep: diffusers' {@code timestep_type}. The
 * other samplers do not read it.
 */
public enum TimestepType {
  /** The (possibly fractional) training timestep. */
  DISCRETE("discrete"),
  /**
   * {@code 0.25 * ln(sigma)}, for models trained on continuous noise levels; diffusers applies it
   * only together with {@link PredictionType#V_PREDICTION}, and so does this package.
   */
  CONTINUOUS("continuous");

  private final String configValue;

  TimestepType(String configValue) {
    this.configValue = configValue;
  }

  /** The value as {@code scheduler_config.json} spells it. */
  public String configValue() {
    return configValue;
  }

  /**
   * Parses a {@code timestep_type} value.
   *
   * @throws IllegalArgumentException if the value is neither {@code discrete} nor {@code
   *     continuous}
   */
  public static TimestepType fromConfigValue(String value) {
    return ConfigValues.parse(
        TimestepType.class, TimestepType::configValue, "timestep_type", value);
  }
}
