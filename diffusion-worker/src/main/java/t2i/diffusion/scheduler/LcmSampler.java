package t2i.diffusion.scheduler;

import java.util.Objects;

/**
 * Latent consistency model sampling, following diffusers' {@code LCMScheduler}: each step maps the
 * sample to its clean-sample estimate through the consistency boundary condition and, except on the
 * last step, noises that estimate again to the next timestep's level.
 *
 * <p>The timesteps are a subset of the distillation schedule ({@code original_inference_steps}
 * evenly spaced timesteps ending at the last training timestep), so they always start at the last
 * training timestep, as few-step sampling needs; as in diffusers, {@code timestep_spacing} and
 * {@code steps_offset} do not apply.
 */
final class LcmSampler extends ScheduledSampler {
  /** The data standard deviation of the consistency-model boundary condition. */
  private static final double SIGMA_DATA = 0.5;

  private final NoiseSchedule noiseSchedule;
  private final PredictionType predictionType;
  private final boolean clipSample;
  private final float clipRange;
  private final double timestepScaling;
  private final NoiseSource noise;
  private float[] noiseBuffer = new float[0];

  private LcmSampler(
      SchedulerConfig config, NoiseSchedule noiseSchedule, Schedule schedule, NoiseSource noise) {
    super(schedule);
    this.noiseSchedule = noiseSchedule;
    this.predictionType = config.predictionType();
    this.clipSample = config.clipSampleFor(SchedulerKind.LCM);
    this.clipRange = (float) config.clipSampleRange();
    this.timestepScaling = config.timestepScaling();
    this.noise = Objects.requireNonNull(noise, "noise");
  }

  static LcmSampler create(SchedulerConfig config, SamplingOptions options, NoiseSource noise) {
    NoiseSchedule noiseSchedule = NoiseSchedule.of(config);
    return new LcmSampler(config, noiseSchedule, schedule(config, options, noiseSchedule), noise);
  }

  static Schedule schedule(SchedulerConfig config, SamplingOptions options) {
    return schedule(config, options, NoiseSchedule.of(config));
  }

  private static Schedule schedule(
      SchedulerConfig config, SamplingOptions options, NoiseSchedule noiseSchedule) {
    int steps = options.steps();
    int original = config.originalInferenceSteps();
    if (original > config.numTrainTimesteps()) {
      throw new IllegalArgumentException(
          String.format(
              "original_inference_steps (%d) must be at most num_train_timesteps (%d) for LCM",
              original, config.numTrainTimesteps()));
    }
    if (steps > original) {
      throw new IllegalArgumentException(
          String.format(
              "steps must be at most original_inference_steps (%d) for LCM, got %d",
              original, steps));
    }
    // The distillation schedule, descending: original * k - 1, ..., k - 1.
    int k = config.numTrainTimesteps() / original;
    double[] positions = TimestepGrid.linspaceExclusive(0, original, steps);
    double[] timesteps = new double[steps];
    double[] sigmas = new double[steps + 1];
    for (int i = 0; i < steps; i++) {
      int position = (int) Math.floor(positions[i]);
      timesteps[i] = (double) (original - position) * k - 1;
      sigmas[i] = Schedule.sigmaOf(noiseSchedule.alphaCumprod((int) timesteps[i]));
    }
    // The last step returns the boundary-condition estimate itself.
    sigmas[steps] = 0.0;
    return new Schedule(timesteps, sigmas, 1.0);
  }

  @Override
  void advance(int index, float[] modelOutput, float[] latents) {
    double[] timesteps = schedule.timesteps();
    int t = (int) timesteps[index];
    boolean last = index == timesteps.length - 1;
    double alphaProd = noiseSchedule.alphaCumprod(t);
    PredictionType.Coefficients x0 =
        predictionType.originalSample(Math.sqrt(alphaProd), Math.sqrt(1 - alphaProd));
    double scaled = t * timestepScaling;
    double denominator = scaled * scaled + SIGMA_DATA * SIGMA_DATA;
    float cSkip = (float) (SIGMA_DATA * SIGMA_DATA / denominator);
    float cOut = (float) (scaled / Math.sqrt(denominator));
    float x0Sample = (float) x0.ofSample();
    float x0Model = (float) x0.ofModelOutput();
    float lower = clipSample ? -clipRange : Float.NEGATIVE_INFINITY;
    float upper = clipSample ? clipRange : Float.POSITIVE_INFINITY;
    if (last) {
      for (int i = 0; i < latents.length; i++) {
        float x = latents[i];
        float predicted = Math.clamp(x0Sample * x + x0Model * modelOutput[i], lower, upper);
        latents[i] = cOut * predicted + cSkip * x;
      }
      return;
    }
    double alphaProdNext = noiseSchedule.alphaCumprod((int) timesteps[index + 1]);
    float signal = (float) Math.sqrt(alphaProdNext);
    float noiseScale = (float) Math.sqrt(1 - alphaProdNext);
    float[] z = noiseFor(latents.length);
    for (int i = 0; i < latents.length; i++) {
      float x = latents[i];
      float predicted = Math.clamp(x0Sample * x + x0Model * modelOutput[i], lower, upper);
      float denoised = cOut * predicted + cSkip * x;
      latents[i] = signal * denoised + noiseScale * z[i];
    }
  }

  private float[] noiseFor(int length) {
    if (noiseBuffer.length != length) {
      noiseBuffer = new float[length];
    }
    noise.fillGaussian(noiseBuffer);
    return noiseBuffer;
  }
}
