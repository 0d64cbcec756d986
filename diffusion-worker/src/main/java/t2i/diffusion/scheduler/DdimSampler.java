package t2i.diffusion.scheduler;

/**
 * Deterministic DDIM (eta 0), following diffusers' {@code DDIMScheduler}: each step predicts the
 * clean sample and the noise, and recombines them at the noise level of timestep {@code t -
 * num_train_timesteps / steps}. Like diffusers, that previous timestep is computed from the step
 * count rather than read from the timestep list, so it equals the next listed timestep for leading
 * spacing (and for trailing spacing when the step count divides {@code num_train_timesteps}) but
 * not in general.
 */
final class DdimSampler extends ScheduledSampler {
  private final NoiseSchedule noiseSchedule;
  private final PredictionType predictionType;
  private final int stride;
  private final double finalAlphaCumprod;
  private final boolean clipSample;
  private final float clipRange;

  private DdimSampler(SchedulerConfig config, NoiseSchedule noiseSchedule, Schedule schedule) {
    super(schedule);
    this.noiseSchedule = noiseSchedule;
    this.predictionType = config.predictionType();
    this.stride = config.numTrainTimesteps() / schedule.steps();
    this.finalAlphaCumprod = finalAlphaCumprod(config, noiseSchedule);
    this.clipSample = config.clipSampleFor(SchedulerKind.DDIM);
    this.clipRange = (float) config.clipSampleRange();
  }

  static DdimSampler create(SchedulerConfig config, SamplingOptions options) {
    NoiseSchedule noiseSchedule = NoiseSchedule.of(config);
    return new DdimSampler(config, noiseSchedule, schedule(config, options, noiseSchedule));
  }

  static Schedule schedule(SchedulerConfig config, SamplingOptions options) {
    return schedule(config, options, NoiseSchedule.of(config));
  }

  private static Schedule schedule(
      SchedulerConfig config, SamplingOptions options, NoiseSchedule noiseSchedule) {
    int steps = options.steps();
    int numTrain = config.numTrainTimesteps();
    TimestepSpacing spacing = config.spacingFor(SchedulerKind.DDIM);
    double[] timesteps =
        TimestepGrid.spaced(
            spacing, numTrain, steps, config.stepsOffset(), /* roundLinspace= */ true);
    // Leading spacing plus steps_offset can pass the last training timestep, which DDIM indexes.
    if (timesteps[0] > numTrain - 1) {
      throw new IllegalArgumentException(
          String.format(
              "steps=%d with timestep_spacing=%s and steps_offset=%d reaches timestep %d, beyond"
                  + " the last training timestep %d; use fewer steps",
              steps,
              spacing.configValue(),
              config.stepsOffset(),
              (long) timesteps[0],
              numTrain - 1));
    }
    int stride = numTrain / steps;
    double finalAlphaCumprod = finalAlphaCumprod(config, noiseSchedule);
    double[] sigmas = new double[steps + 1];
    for (int i = 0; i < steps; i++) {
      sigmas[i] = Schedule.sigmaOf(noiseSchedule.alphaCumprod((int) timesteps[i]));
    }
    int lastPrevious = (int) timesteps[steps - 1] - stride;
    sigmas[steps] =
        Schedule.sigmaOf(
            lastPrevious >= 0 ? noiseSchedule.alphaCumprod(lastPrevious) : finalAlphaCumprod);
    return new Schedule(timesteps, sigmas, 1.0);
  }

  /** Where a step whose previous timestep falls before 0 lands: {@code set_alpha_to_one}. */
  private static double finalAlphaCumprod(SchedulerConfig config, NoiseSchedule noiseSchedule) {
    return config.setAlphaToOne() ? 1.0 : noiseSchedule.alphaCumprod(0);
  }

  @Override
  void advance(int index, float[] modelOutput, float[] latents) {
    int t = (int) schedule.timesteps()[index];
    int previous = t - stride;
    double alphaProd = noiseSchedule.alphaCumprod(t);
    double alphaProdPrev = previous >= 0 ? noiseSchedule.alphaCumprod(previous) : finalAlphaCumprod;
    double alpha = Math.sqrt(alphaProd);
    double sigma = Math.sqrt(1 - alphaProd);
    PredictionType.Coefficients x0 = predictionType.originalSample(alpha, sigma);
    PredictionType.Coefficients eps = predictionType.noise(alpha, sigma);
    double signal = Math.sqrt(alphaProdPrev);
    double noise = Math.sqrt(1 - alphaProdPrev);
    if (clipSample) {
      float x0Sample = (float) x0.ofSample();
      float x0Model = (float) x0.ofModelOutput();
      float epsSample = (float) eps.ofSample();
      float epsModel = (float) eps.ofModelOutput();
      float signalF = (float) signal;
      float noiseF = (float) noise;
      for (int i = 0; i < latents.length; i++) {
        float x = latents[i];
        float m = modelOutput[i];
        float predicted = Math.clamp(x0Sample * x + x0Model * m, -clipRange, clipRange);
        latents[i] = signalF * predicted + noiseF * (epsSample * x + epsModel * m);
      }
    } else {
      // Without clipping the step is one linear combination of sample and model output.
      float ofSample = (float) (signal * x0.ofSample() + noise * eps.ofSample());
      float ofModel = (float) (signal * x0.ofModelOutput() + noise * eps.ofModelOutput());
      for (int i = 0; i < latents.length; i++) {
        latents[i] = ofSample * latents[i] + ofModel * modelOutput[i];
      }
    }
  }
}
