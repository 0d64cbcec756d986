package t2i.diffusion.scheduler;

/**
 * Where the Euler and DPM++ samplers end: diffusers' {@code final_sigmas_type}. The other samplers
 * do not read it.
 */
public enum FinalSigmasType {
  /** The last step lands on a clean sample (noise level 0). */
  ZERO("zero"),
  /** The last step lands on the noise level of training timestep 0. */
  SIGMA_MIN("sigma_min");

  private final String configValue;

  FinalSigmasType(String configValue) {
    this.configValue = configValue;
  }

  /** The value as {@code scheduler_config.json} spells it. */
  public String configValue() {
    return configValue;
  }

  /**
   * Parses a {@code final_sigmas_type} value.
   *
   * @throws IllegalArgumentException if the value is neither {@code zero} nor {@code sigma_min}
   */
  public static FinalSigmasType fromConfigValue(String value) {
    return ConfigValues.parse(
        FinalSigmasType.class, FinalSigmasType::configValue, "final_sigmas_type", value);
  }
}
