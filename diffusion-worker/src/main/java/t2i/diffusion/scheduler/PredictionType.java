package t2i.diffusion.scheduler;

/**
 * What the denoising model predicts: diffusers' {@code prediction_type}.
 *
 * <p>In the variance-preserving form of the forward process, {@code x_t = alpha * x0 + sigma * eps}
 * with {@code alpha = sqrt(alphas_cumprod[t])} and {@code sigma = sqrt(1 - alphas_cumprod[t])}.
 */
public enum PredictionType {
  /** The noise {@code eps}. */
  EPSILON("epsilon"),
  /** The velocity {@code v = alpha * eps - sigma * x0} (section 2.4 of Imagen Video). */
  V_PREDICTION("v_prediction"),
  /** The clean sample {@code x0} itself. */
  SAMPLE("sample");

  private final String configValue;

  PredictionType(String configValue) {
    this.configValue = configValue;
  }

  /** The value as {@code scheduler_config.json} spells it. */
  public String configValue() {
    return configValue;
  }

  /**
   * Parses a {@code prediction_type} value.
   *
   * @throws IllegalArgumentException if the value is not one of the three prediction types
   */
  public static PredictionType fromConfigValue(String value) {
    return ConfigValues.parse(
        PredictionType.class, PredictionType::configValue, "prediction_type", value);
  }

  /**
   * The coefficients that turn a variance-preserving sample and this model output into the
   * predicted clean sample {@code x0}.
   */
  Coefficients originalSample(double alpha, double sigma) {
    return switch (this) {
      case EPSILON -> new Coefficients(1 / alpha, -sigma / alpha);
      case V_PREDICTION -> new Coefficients(alpha, -sigma);
      case SAMPLE -> new Coefficients(0, 1);
    };
  }

  /**
   * The coefficients that turn a variance-preserving sample and this model output into the
   * predicted noise {@code eps}.
   */
  Coefficients noise(double alpha, double sigma) {
    return switch (this) {
      case EPSILON -> new Coefficients(0, 1);
      case V_PREDICTION -> new Coefficients(sigma, alpha);
      case SAMPLE -> new Coefficients(1 / sigma, -alpha / sigma);
    };
  }

  /** {@code ofSample * sample + ofModelOutput * modelOutput}, element by element. */
  record Coefficients(double ofSample, double ofModelOutput) {}
}
