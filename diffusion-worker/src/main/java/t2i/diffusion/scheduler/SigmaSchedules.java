package t2i.diffusion.scheduler;

/**
 * The noise-level schedules of the Euler samplers, which carry latents as {@code x0 + sigma * eps}
 * and interpolate the training noise levels at their (possibly fractional) timesteps.
 */
final class SigmaSchedules {
  private SigmaSchedules() {}

  /**
   * Euler's and Euler ancestral's schedule: timesteps by {@code timestep_spacing}, noise levels
   * interpolated there (or Karras levels between the interpolated extremes, with timesteps
   * recovered from them), and the final level; every value rounded to float32 as diffusers holds
   * them.
   */
  static Schedule euler(
      SchedulerConfig config,
      SchedulerKind kind,
      int steps,
      boolean karras,
      boolean finalSigmaMin) {
    NoiseSchedule noiseSchedule = NoiseSchedule.forSigmaSamplers(config);
    float[] trainSigmas = noiseSchedule.sigmas();
    TimestepSpacing spacing = config.spacingFor(kind);
    double[] timesteps =
        TimestepGrid.spaced(
            spacing,
            config.numTrainTimesteps(),
            steps,
            config.stepsOffset(),
            /* roundLinspace= */ false);
    double[] sigmas = new double[steps];
    for (int i = 0; i < steps; i++) {
      sigmas[i] = TimestepGrid.interpolate(trainSigmas, timesteps[i]);
    }
    if (karras) {
      double sigmaMin = config.sigmaMin().orElse(sigmas[steps - 1]);
      double sigmaMax = config.sigmaMax().orElse(sigmas[0]);
      sigmas = TimestepGrid.karras(sigmaMin, sigmaMax, steps);
      double[] logSigmas = TimestepGrid.logs(trainSigmas);
      for (int i = 0; i < steps; i++) {
        timesteps[i] = (float) TimestepGrid.sigmaToTimestep(sigmas[i], logSigmas);
      }
    }
    double[] withFinal = new double[steps + 1];
    for (int i = 0; i < steps; i++) {
      withFinal[i] = (float) sigmas[i];
    }
    withFinal[steps] = finalSigmaMin ? trainSigmas[0] : 0.0;
    if (kind == SchedulerKind.EULER
        && config.timestepType() == TimestepType.CONTINUOUS
        && config.predictionType() == PredictionType.V_PREDICTION) {
      for (int i = 0; i < steps; i++) {
        timesteps[i] = 0.25f * (float) StrictMath.log((float) withFinal[i]);
      }
    }
    return new Schedule(timesteps, withFinal, initNoiseSigma(withFinal, spacing));
  }

  /**
   * The initial noise's standard deviation: the largest noise level, or for leading spacing (which
   * starts below the last training timestep) diffusers' {@code sqrt(sigma_max^2 + 1)}.
   */
  private static double initNoiseSigma(double[] sigmas, TimestepSpacing spacing) {
    float max = 0f;
    for (double sigma : sigmas) {
      max = Math.max(max, (float) sigma);
    }
    return spacing == TimestepSpacing.LEADING ? (float) Math.sqrt(max * max + 1f) : max;
  }
}
