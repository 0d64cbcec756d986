package t2i.diffusion.scheduler;

import java.util.Optional;

/**
 * The sampling algorithms this package implements, each following the diffusers scheduler class of
 * the same name.
 */
public enum SchedulerKind {
  /** Deterministic DDIM (eta 0): diffusers' {@code DDIMScheduler}. */
  DDIM("DDIMScheduler", TimestepSpacing.LEADING),
  /** Euler's method on the probability-flow ODE: diffusers' {@code EulerDiscreteScheduler}. */
  EULER("EulerDiscreteScheduler", TimestepSpacing.LINSPACE),
  /**
   * Euler with fresh noise added at each step: diffusers' {@code EulerAncestralDiscreteScheduler}.
   * With trailing spacing and guidance off it is SDXL-Turbo's 1-4 step sampler.
   */
  EULER_ANCESTRAL("EulerAncestralDiscreteScheduler", TimestepSpacing.LINSPACE),
  /**
   * DPM-Solver++ of order 2, multistep ("DPM++ 2M"): diffusers' {@code DPMSolverMultistepScheduler}
   * with {@code algorithm_type=dpmsolver++} and {@code solver_order=2}, whatever the config says
   * for those two fields.
   */
  DPMPP_2M("DPMSolverMultistepScheduler", TimestepSpacing.LINSPACE),
  /**
   * Latent consistency model sampling: diffusers' {@code LCMScheduler}. Its timesteps always start
   * at the last training timestep and it ignores {@code timestep_spacing}, as diffusers does.
   */
  LCM("LCMScheduler", TimestepSpacing.LEADING);

  private final String diffusersClassName;
  private final TimestepSpacing defaultSpacing;

  SchedulerKind(String diffusersClassName, TimestepSpacing defaultSpacing) {
    this.diffusersClassName = diffusersClassName;
    this.defaultSpacing = defaultSpacing;
  }

  /** The diffusers class this kind follows, as a config's {@code _class_name} names it. */
  public String diffusersClassName() {
    return diffusersClassName;
  }

  /**
   * The spacing used when the config has no {@code timestep_spacing}: the default of the diffusers
   * class, which differs between classes.
   */
  public TimestepSpacing defaultSpacing() {
    return defaultSpacing;
  }

  /** Whether this kind can use the Karras noise schedule ({@code use_karras_sigmas}). */
  public boolean supportsKarrasSigmas() {
    return this == EULER || this == DPMPP_2M;
  }

  /**
   * The kind that implements the given diffusers scheduler class, or empty for the classes this
   * package does not implement (PNDM, LMS, DDPM, UniPC, Heun and others); {@link
   * SchedulerConfig#defaultKind()} says what such a model samples with.
   */
  public static Optional<SchedulerKind> fromClassName(String diffusersClassName) {
    for (SchedulerKind kind : values()) {
      if (kind.diffusersClassName.equals(diffusersClassName)) {
        return Optional.of(kind);
      }
    }
    return Optional.empty();
  }
}
