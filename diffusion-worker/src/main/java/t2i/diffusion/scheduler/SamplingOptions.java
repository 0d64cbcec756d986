package t2i.diffusion.scheduler;

import java.util.Objects;

/**
 * A request's sampling choices.
 *
 * <p>{@code karrasSigmas} asks for the Karras noise schedule; the model's own {@code
 * use_karras_sigmas} turns it on as well (override that with {@link
 * SchedulerConfig#withUseKarrasSigmas}). The upper bounds on {@code steps}, which depend on the
 * model ({@code num_train_timesteps}, and LCM's {@code original_inference_steps}), are checked by
 * {@link Samplers#create}.
 *
 * @param kind the sampling algorithm
 * @param steps the number of denoising steps (model evaluations), at least 1
 * @param karrasSigmas use the Karras noise schedule; only {@link SchedulerKind#EULER} and {@link
 *     SchedulerKind#DPMPP_2M} support it
 */
public record SamplingOptions(SchedulerKind kind, int steps, boolean karrasSigmas) {
  /**
   * Checks the options.
   *
   * @throws IllegalArgumentException if {@code steps} is below 1, or Karras sigmas are asked of a
   *     kind that does not support them
   */
  public SamplingOptions {
    Objects.requireNonNull(kind, "kind");
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be at least 1, got " + steps);
    }
    if (karrasSigmas && !kind.supportsKarrasSigmas()) {
      throw new IllegalArgumentException(
          "karrasSigmas is supported by EULER and DPMPP_2M only, not " + kind);
    }
  }

  /** Options without Karras sigmas. */
  public static SamplingOptions of(SchedulerKind kind, int steps) {
    return new SamplingOptions(kind, steps, false);
  }
}
