package t2i.diffusion.scheduler;

/**
 * Euler's method on the probability-flow ODE, following diffusers' {@code EulerDiscreteScheduler}
 * (without churn): latents are {@code x0 + sigma * eps}; each step predicts the clean sample and
 * moves along the line through it to the next noise level.
 */
final class EulerSampler extends ScheduledSampler {
  private final PredictionType predictionType;

  private EulerSampler(SchedulerConfig config, Schedule schedule) {
    super(schedule);
    this.predictionType = config.predictionType();
  }

  static EulerSampler create(SchedulerConfig config, SamplingOptions options, boolean karras) {
    return new EulerSampler(config, schedule(config, options, karras));
  }

  static Schedule schedule(SchedulerConfig config, SamplingOptions options, boolean karras) {
    return SigmaSchedules.euler(
        config,
        SchedulerKind.EULER,
        options.steps(),
        karras,
        config.finalSigmasType() == FinalSigmasType.SIGMA_MIN);
  }

  @Override
  public double inputScale() {
    requireNotDone();
    return inputScale(schedule.sigmas()[stepIndex()]);
  }

  static double inputScale(double sigma) {
    return 1 / Math.sqrt(sigma * sigma + 1);
  }

  @Override
  void advance(int index, float[] modelOutput, float[] latents) {
    double sigma = schedule.sigmas()[index];
    double next = schedule.sigmas()[index + 1];
    PredictionType.Coefficients x0 = originalSample(predictionType, sigma);
    // x' = x + (x - x0) / sigma * (next - sigma), with x0 linear in x and the model output.
    double ratio = (next - sigma) / sigma;
    float ofSample = (float) (1 + ratio - ratio * x0.ofSample());
    float ofModel = (float) (-ratio * x0.ofModelOutput());
    for (int i = 0; i < latents.length; i++) {
      latents[i] = ofSample * latents[i] + ofModel * modelOutput[i];
    }
  }

  /**
   * The clean-sample prediction from latents that carry the noise unscaled ({@code x0 + sigma *
   * eps}): the variance-preserving formula applied to the scaled model input.
   */
  static PredictionType.Coefficients originalSample(PredictionType predictionType, double sigma) {
    double scale = inputScale(sigma);
    PredictionType.Coefficients vp = predictionType.originalSample(scale, sigma * scale);
    return new PredictionType.Coefficients(vp.ofSample() * scale, vp.ofModelOutput());
  }
}
