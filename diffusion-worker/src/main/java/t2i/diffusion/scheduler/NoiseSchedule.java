package t2i.diffusion.scheduler;

import java.util.List;

/**
 * The training noise schedule of a model: {@code alphas_cumprod[t]} for every training timestep,
 * held in float32 and computed the way diffusers computes it (betas by {@code torch.linspace} in
 * float32, cumulative product accumulated in double and stored in float32), so that schedules
 * derived from it match diffusers to float32 rounding. Immutable.
 */
final class NoiseSchedule {
  /** Diffusers' cap on the cosine schedule's betas. */
  private static final double MAX_COSINE_BETA = 0.999;

  /**
   * What diffusers' sigma-parameterised schedulers put in place of a zero last {@code
   * alphas_cumprod}, so that the last noise level stays finite.
   */
  private static final float TERMINAL_ALPHA_CUMPROD = 0x1p-24f;

  private final float[] alphasCumprod;

  private NoiseSchedule(float[] alphasCumprod) {
    this.alphasCumprod = alphasCumprod;
  }

  /** The schedule as DDIM and LCM use it. */
  static NoiseSchedule of(SchedulerConfig config) {
    float[] betas = betas(config);
    if (config.rescaleBetasZeroSnr()) {
      betas = rescaleToZeroTerminalSnr(betas);
    }
    return new NoiseSchedule(cumulativeProduct(oneMinus(betas)));
  }

  /**
   * The schedule as the Euler, Euler ancestral and DPM++ samplers use it: after zero-terminal-SNR
   * rescaling the last {@code alphas_cumprod} becomes 2^-24 instead of 0.
   */
  static NoiseSchedule forSigmaSamplers(SchedulerConfig config) {
    NoiseSchedule schedule = of(config);
    if (config.rescaleBetasZeroSnr()) {
      schedule.alphasCumprod[schedule.alphasCumprod.length - 1] = TERMINAL_ALPHA_CUMPROD;
    }
    return schedule;
  }

  int length() {
    return alphasCumprod.length;
  }

  /** {@code alphas_cumprod[t]}, the signal variance at training timestep {@code t}. */
  double alphaCumprod(int t) {
    return alphasCumprod[t];
  }

  /**
   * The noise level of every training timestep in the variance-exploding parameterisation, {@code
   * sigma = sqrt((1 - alphas_cumprod) / alphas_cumprod)}, in float32 as diffusers computes it.
   */
  float[] sigmas() {
    float[] sigmas = new float[alphasCumprod.length];
    for (int t = 0; t < sigmas.length; t++) {
      float a = alphasCumprod[t];
      sigmas[t] = (float) Math.sqrt((1f - a) / a);
    }
    return sigmas;
  }

  /**
   * The log-SNR {@code lambda = ln(sqrt(a)) - ln(sqrt(1 - a))} of every training timestep, in
   * float32 as diffusers' DPM-Solver computes it.
   */
  float[] lambdas() {
    float[] lambdas = new float[alphasCumprod.length];
    for (int t = 0; t < lambdas.length; t++) {
      float a = alphasCumprod[t];
      float logAlpha = (float) StrictMath.log((float) Math.sqrt(a));
      float logSigma = (float) StrictMath.log((float) Math.sqrt(1f - a));
      lambdas[t] = logAlpha - logSigma;
    }
    return lambdas;
  }

  private static float[] betas(SchedulerConfig config) {
    int n = config.numTrainTimesteps();
    List<Double> trained = config.trainedBetas();
    if (!trained.isEmpty()) {
      float[] betas = new float[n];
      for (int i = 0; i < n; i++) {
        betas[i] = trained.get(i).floatValue();
      }
      return betas;
    }
    return switch (config.betaSchedule()) {
      case LINEAR -> float32Linspace((float) config.betaStart(), (float) config.betaEnd(), n);
      case SCALED_LINEAR -> {
        float[] roots =
            float32Linspace(
                (float) Math.sqrt(config.betaStart()), (float) Math.sqrt(config.betaEnd()), n);
        for (int i = 0; i < n; i++) {
          roots[i] = roots[i] * roots[i];
        }
        yield roots;
      }
      case SQUAREDCOS_CAP_V2 -> cosineBetas(n);
    };
  }

  /**
   * {@code torch.linspace(start, end, steps, dtype=float32)} on the CPU: the first half counts up
   * from {@code start}, the second half down from {@code end}, each in float32 arithmetic.
   */
  static float[] float32Linspace(float start, float end, int steps) {
    float[] values = new float[steps];
    float step = (end - start) / (steps - 1);
    int halfway = steps / 2;
    for (int i = 0; i < steps; i++) {
      values[i] = i < halfway ? start + step * i : end - step * (steps - i - 1);
    }
    return values;
  }

  /** The betas that discretise {@code alpha_bar(t) = cos((t + 0.008) / 1.008 * pi / 2)^2}. */
  private static float[] cosineBetas(int n) {
    float[] betas = new float[n];
    for (int i = 0; i < n; i++) {
      double t1 = (double) i / n;
      double t2 = (double) (i + 1) / n;
      betas[i] = (float) Math.min(1 - cosineAlphaBar(t2) / cosineAlphaBar(t1), MAX_COSINE_BETA);
    }
    return betas;
  }

  private static double cosineAlphaBar(double t) {
    double c = StrictMath.cos((t + 0.008) / 1.008 * Math.PI / 2);
    return c * c;
  }

  /**
   * Algorithm 1 of "Common Diffusion Noise Schedules and Sample Steps are Flawed": shift and scale
   * {@code sqrt(alphas_cumprod)} so that the last one is 0 and the first unchanged.
   */
  private static float[] rescaleToZeroTerminalSnr(float[] betas) {
    float[] sqrtAlphaBar = cumulativeProduct(oneMinus(betas));
    int n = sqrtAlphaBar.length;
    for (int i = 0; i < n; i++) {
      sqrtAlphaBar[i] = (float) Math.sqrt(sqrtAlphaBar[i]);
    }
    float first = sqrtAlphaBar[0];
    float last = sqrtAlphaBar[n - 1];
    float scale = first / (first - last);
    float[] alphaBar = new float[n];
    for (int i = 0; i < n; i++) {
      float shifted = (sqrtAlphaBar[i] - last) * scale;
      alphaBar[i] = shifted * shifted;
    }
    float[] rescaled = new float[n];
    rescaled[0] = 1f - alphaBar[0];
    for (int i = 1; i < n; i++) {
      rescaled[i] = 1f - alphaBar[i] / alphaBar[i - 1];
    }
    return rescaled;
  }

  private static float[] oneMinus(float[] values) {
    float[] result = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      result[i] = 1f - values[i];
    }
    return result;
  }

  /**
   * {@code torch.cumprod} of a float32 tensor on the CPU: accumulated in double, stored as float.
   */
  private static float[] cumulativeProduct(float[] values) {
    float[] products = new float[values.length];
    double product = 1;
    for (int i = 0; i < values.length; i++) {
      product *= values[i];
      products[i] = (float) product;
    }
    return products;
  }
}
