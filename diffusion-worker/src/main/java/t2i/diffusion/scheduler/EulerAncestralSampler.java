package t2i.diffusion.scheduler;

import java.util.Objects;

/**
 * Euler ancestral sampling, following diffusers' {@code EulerAncestralDiscreteScheduler}: each step
 * moves deterministically down to {@code sigma_down} and adds fresh noise of standard deviation
 * {@code sigma_up}, so that the sample lands on the next noise level. With trailing spacing and 1-4
 * steps this is SDXL-Turbo's sampler.
 */
final class EulerAncestralSampler extends ScheduledSampler {
  private final PredictionType predictionType;
  private final NoiseSource noise;
  private float[] noiseBuffer = new float[0];

  private EulerAncestralSampler(SchedulerConfig config, Schedule schedule, NoiseSource noise) {
    super(schedule);
    this.predictionType = config.predictionType();
    this.noise = Objects.requireNonNull(noise, "noise");
  }

  static EulerAncestralSampler create(
      SchedulerConfig config, SamplingOptions options, NoiseSource noise) {
    return new EulerAncestralSampler(config, schedule(config, options), noise);
  }

  static Schedule schedule(SchedulerConfig config, SamplingOptions options) {
    return SigmaSchedules.euler(
        config, SchedulerKind.EULER_ANCESTRAL, options.steps(), false, false);
  }

  @Override
  public double inputScale() {
    requireNotDone();
    return EulerSampler.inputScale(schedule.sigmas()[stepIndex()]);
  }

  /** The standard deviation of the noise added when stepping from {@code from} to {@code to}. */
  static double sigmaUp(double from, double to) {
    return Math.sqrt(to * to * (from * from - to * to) / (from * from));
  }

  /** The noise level the deterministic part of a step from {@code from} to {@code to} reaches. */
  static double sigmaDown(double from, double to) {
    double up = sigmaUp(from, to);
    return Math.sqrt(to * to - up * up);
  }

  @Override
  void advance(int index, float[] modelOutput, float[] latents) {
    double sigma = schedule.sigmas()[index];
    double next = schedule.sigmas()[index + 1];
    double up = sigmaUp(sigma, next);
    double down = sigmaDown(sigma, next);
    PredictionType.Coefficients x0 = EulerSampler.originalSample(predictionType, sigma);
    double ratio = (down - sigma) / sigma;
    float ofSample = (float) (1 + ratio - ratio * x0.ofSample());
    float ofModel = (float) (-ratio * x0.ofModelOutput());
    if (up > 0) {
      float[] z = noiseFor(latents.length);
      float upF = (float) up;
      for (int i = 0; i < latents.length; i++) {
        latents[i] = ofSample * latents[i] + ofModel * modelOutput[i] + upF * z[i];
      }
    } else {
      // The last step lands on sigma 0 and adds nothing, so it draws no noise.
      for (int i = 0; i < latents.length; i++) {
        latents[i] = ofSample * latents[i] + ofModel * modelOutput[i];
      }
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
