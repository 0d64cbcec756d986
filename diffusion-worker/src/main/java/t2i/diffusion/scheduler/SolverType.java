package t2i.diffusion.scheduler;

/**
 * The second-order correction of DPM++ 2M: diffusers' {@code solver_type}. Only {@link
 * SchedulerKind#DPMPP_2M} reads it.
 */
public enum SolverType {
  /** The midpoint form, as k-diffusion's and AUTOMATIC1111's "DPM++ 2M" use. */
  MIDPOINT("midpoint"),
  /** The Heun form. */
  HEUN("heun");

  private final String configValue;

  SolverType(String configValue) {
    this.configValue = configValue;
  }

  /** The value as {@code scheduler_config.json} spells it. */
  public String configValue() {
    return configValue;
  }

  /**
   * Parses a {@code solver_type} value. The UniPC and DEIS values {@code logrho}, {@code bh1} and
   * {@code bh2} read as {@link #MIDPOINT}, as diffusers reads them when it turns such a config into
   * a DPM-Solver.
   *
   * @throws IllegalArgumentException for any other value
   */
  public static SolverType fromConfigValue(String value) {
    return switch (value) {
      case "logrho", "bh1", "bh2" -> MIDPOINT;
      default ->
          ConfigValues.parse(SolverType.class, SolverType::configValue, "solver_type", value);
    };
  }
}
