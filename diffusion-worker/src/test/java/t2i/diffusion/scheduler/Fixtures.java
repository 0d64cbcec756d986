package t2i.diffusion.scheduler;

/** Scheduler configs of real models, as their {@code scheduler_config.json} files spell them. */
final class Fixtures {
  private Fixtures() {}

  /** runwayml/stable-diffusion-v1-5: a PNDM config, which every kind of sampler reads. */
  static final String SD15_JSON =
      """
      {
        "_class_name": "PNDMScheduler",
        "_diffusers_version": "0.6.0",
        "beta_end": 0.012,
        "beta_schedule": "scaled_linear",
        "beta_start": 0.00085,
        "num_train_timesteps": 1000,
        "set_alpha_to_one": false,
        "skip_prk_steps": true,
        "steps_offset": 1,
        "trained_betas": null,
        "clip_sample": false
      }
      """;

  /** stabilityai/sd-turbo: Euler with trailing spacing, sampled in 1-4 steps without guidance. */
  static final String SD_TURBO_JSON =
      """
      {
        "_class_name": "EulerDiscreteScheduler",
        "_diffusers_version": "0.24.0.dev0",
        "beta_end": 0.012,
        "beta_schedule": "scaled_linear",
        "beta_start": 0.00085,
        "clip_sample": false,
        "interpolation_type": "linear",
        "num_train_timesteps": 1000,
        "prediction_type": "epsilon",
        "sample_max_value": 1.0,
        "set_alpha_to_one": false,
        "skip_prk_steps": true,
        "steps_offset": 1,
        "timestep_spacing": "trailing",
        "timestep_type": "discrete",
        "trained_betas": null,
        "use_karras_sigmas": false
      }
      """;

  /** A DPM-Solver config as diffusers saves it, with Python's -Infinity literal. */
  static final String DPM_JSON =
      """
      {
        "_class_name": "DPMSolverMultistepScheduler",
        "algorithm_type": "dpmsolver++",
        "beta_end": 0.012,
        "beta_schedule": "scaled_linear",
        "beta_start": 0.00085,
        "dynamic_thresholding_ratio": 0.995,
        "euler_at_final": false,
        "final_sigmas_type": "zero",
        "lambda_min_clipped": -Infinity,
        "lower_order_final": true,
        "num_train_timesteps": 1000,
        "prediction_type": "epsilon",
        "sample_max_value": 1.0,
        "solver_order": 2,
        "solver_type": "midpoint",
        "steps_offset": 1,
        "thresholding": false,
        "timestep_spacing": "linspace",
        "trained_betas": null,
        "use_karras_sigmas": true,
        "variance_type": null
      }
      """;

  static SchedulerConfig sd15() {
    return SchedulerConfig.fromJson(SD15_JSON);
  }

  static SchedulerConfig sdTurbo() {
    return SchedulerConfig.fromJson(SD_TURBO_JSON);
  }
}
