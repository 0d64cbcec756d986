package t2i.diffusion.scheduler;

/**
 * How the inference timesteps are picked from the training timesteps: diffusers' {@code
 * timestep_spacing} (table 2 of "Common Diffusion Noise Schedules and Sample Steps are Flawed").
 */
public enum TimestepSpacing {
  /** Evenly spaced from the last training timestep down to 0, rounded where the sampler rounds. */
  LINSPACE("linspace"),
  /** Multiples of {@code num_train_timesteps / steps} from 0, plus {@code steps_offset}. */
  LEADING("leading"),
  /** Evenly spaced down from the last training timestep: what few-step (turbo) sampling needs. */
  TRAILING("trailing");

  private final String configValue;

  TimestepSpacing(String configValue) {
    this.configValue = configValue;
  }

  /** The value as {@code scheduler_config.json} spells it. */
  public String configValue() {
    return configValue;
  }

  /**
   * Parses a {@code timestep_spacing} value.
   *
   * @throws IllegalArgumentException if the value is not one of the three spacings
   */
  public static TimestepSpacing fromConfigValue(String value) {
    return ConfigValues.parse(
        TimestepSpacing.class, TimestepSpacing::configValue, "timestep_spacing", value);
  }
}
