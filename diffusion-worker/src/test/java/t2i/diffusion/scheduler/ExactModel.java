package t2i.diffusion.scheduler;

/**
 * A stand-in for a perfectly trained SD 1.5 UNet that knows the clean sample {@code x0}: given the
 * model input {@code x_t} and timestep {@code t}, it returns the exact noise {@code eps = (x_t -
 * sqrt(abar_t) x0) / sqrt(1 - abar_t)}, or its velocity or clean-sample form. {@code abar_t} comes
 * from SD 1.5's scaled-linear betas computed here in double precision, independently of the code
 * under test; a fractional {@code t} takes the noise level interpolated linearly between the
 * neighbouring training timesteps, as the Euler samplers do.
 */
final class ExactModel {
  private static final double[] ALPHAS_CUMPROD = sd15AlphasCumprod();

  private final float[] x0;
  private final PredictionType predictionType;
  private final float[] impliedNoise;

  ExactModel(float[] x0, PredictionType predictionType) {
    this.x0 = x0;
    this.predictionType = predictionType;
    this.impliedNoise = new float[x0.length];
  }

  /** The model output for {@code modelInput} at timestep {@code t}. */
  float[] predict(float[] modelInput, double t) {
    double alphaBar = alphaBarAt(t);
    double alpha = Math.sqrt(alphaBar);
    double sigma = Math.sqrt(1 - alphaBar);
    float[] output = new float[x0.length];
    for (int i = 0; i < x0.length; i++) {
      double eps = (modelInput[i] - alpha * x0[i]) / sigma;
      impliedNoise[i] = (float) eps;
      output[i] =
          (float)
              switch (predictionType) {
                case EPSILON -> eps;
                case V_PREDICTION -> alpha * eps - sigma * x0[i];
                case SAMPLE -> x0[i];
              };
    }
    return output;
  }

  /** The noise the last model input carried, as the model read it. */
  float[] impliedNoise() {
    return impliedNoise.clone();
  }

  static double alphaBarAt(double t) {
    if (t == Math.rint(t)) {
      return ALPHAS_CUMPROD[(int) t];
    }
    int low = (int) Math.floor(t);
    double sigmaLow = sigma(ALPHAS_CUMPROD[low]);
    double sigmaHigh = sigma(ALPHAS_CUMPROD[low + 1]);
    double sigma = sigmaLow + (t - low) * (sigmaHigh - sigmaLow);
    return 1 / (1 + sigma * sigma);
  }

  private static double sigma(double alphaBar) {
    return Math.sqrt((1 - alphaBar) / alphaBar);
  }

  private static double[] sd15AlphasCumprod() {
    double start = Math.sqrt(0.00085);
    double end = Math.sqrt(0.012);
    double[] alphasCumprod = new double[1000];
    double product = 1;
    for (int i = 0; i < 1000; i++) {
      double root = start + i * (end - start) / 999;
      product *= 1 - root * root;
      alphasCumprod[i] = product;
    }
    return alphasCumprod;
  }
}
