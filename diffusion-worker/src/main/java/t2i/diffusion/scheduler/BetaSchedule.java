package t2i.diffusion.scheduler;

/**
 * How the training betas are laid out over {@code num_train_timesteps}: diffusers' {@code
 * beta_schedule}. A config with {@code trained_betas} uses those betas instead.
 */
public enum BetaSchedule {
  /** Betas evenly spaced from {@code beta_start} to {@code beta_end}. */
  LINEAR("linear"),
  /** Square roots of the betas evenly spaced, then squared: Stable Diffusion's schedule. */
  SCALED_LINEAR("scaled_linear"),
  /** The cosine schedule of Nichol and Dhariwal, each beta capped at 0.999. */
  SQUAREDCOS_CAP_V2("squaredcos_cap_v2");

  private final String configValue;

  BetaSchedule(String configValue) {
    this.configValue = configValue;
  }

  /** The value as {@code scheduler_config.json} spells it. */
  public String configValue() {
    return configValue;
  }

  /**
   * Parses a {@code beta_schedule} value.
   *
   * @throws IllegalArgumentException if the value is not one of the supported schedules
   */
  public static BetaSchedule fromConfigValue(String value) {
    return ConfigValues.parse(
        BetaSchedule.class, BetaSchedule::configValue, "beta_schedule", value);
  }
}
