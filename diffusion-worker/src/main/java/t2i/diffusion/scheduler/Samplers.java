package t2i.diffusion.scheduler;

import java.util.Objects;

/** Creates the {@link Sampler} of a request and exposes its schedule. Stateless and thread-safe. */
public final class Samplers {
  private Samplers() {}

  /**
   * A sampler for one image.
   *
   * @param config the model's scheduler config
   * @param options the request's choices
   * @param noise the source of the noise that Euler ancestral and LCM add between steps; owned by
   *     the sampler from now on (the other kinds never draw from it)
   * @throws IllegalArgumentException if the options do not fit the model, naming the limit
   */
  public static Sampler create(SchedulerConfig config, SamplingOptions options, NoiseSource noise) {
    Objects.requireNonNull(noise, "noise");
    requireFits(config, options);
    boolean karras = karras(config, options);
    return switch (options.kind()) {
      case DDIM -> DdimSampler.create(config, options);
      case EULER -> EulerSampler.create(config, options, karras);
      case EULER_ANCESTRAL -> EulerAncestralSampler.create(config, options, noise);
      case DPMPP_2M -> DpmSolverPlusPlus2MSampler.create(config, options, karras);
      case LCM -> LcmSampler.create(config, options, noise);
    };
  }

  /**
   * The model timestep of every step, as the sampler's {@link Sampler#timestep()} will report them.
   *
   * @throws IllegalArgumentException as {@link #create} does
   */
  public static double[] timesteps(SchedulerConfig config, SamplingOptions options) {
    return schedule(config, options).timesteps().clone();
  }

  /**
   * The noise level {@code sigma = sqrt((1 - alphas_cumprod) / alphas_cumprod)} the sampler assumes
   * at every step, followed by the level its last step lands on: one more value than there are
   * steps. For Euler, Euler ancestral and DPM++ these are diffusers' {@code scheduler.sigmas}; for
   * DDIM and LCM they are the levels of their timesteps.
   *
   * @throws IllegalArgumentException as {@link #create} does
   */
  public static double[] sigmas(SchedulerConfig config, SamplingOptions options) {
    return schedule(config, options).sigmas().clone();
  }

  private static Schedule schedule(SchedulerConfig config, SamplingOptions options) {
    requireFits(config, options);
    boolean karras = karras(config, options);
    return switch (options.kind()) {
      case DDIM -> DdimSampler.schedule(config, options);
      case EULER -> EulerSampler.schedule(config, options, karras);
      case EULER_ANCESTRAL -> EulerAncestralSampler.schedule(config, options);
      case DPMPP_2M -> DpmSolverPlusPlus2MSampler.schedule(config, options, karras);
      case LCM -> LcmSampler.schedule(config, options);
    };
  }

  private static boolean karras(SchedulerConfig config, SamplingOptions options) {
    return options.karrasSigmas()
        || (config.useKarrasSigmas() && options.kind().supportsKarrasSigmas());
  }

  private static void requireFits(SchedulerConfig config, SamplingOptions options) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(options, "options");
    if (options.steps() > config.numTrainTimesteps()) {
      throw new IllegalArgumentException(
          String.format(
              "steps must be at most num_train_timesteps (%d), got %d",
              config.numTrainTimesteps(), options.steps()));
    }
  }
}
