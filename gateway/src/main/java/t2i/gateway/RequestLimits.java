package t2i.gateway;

/**
 * What a request may ask for, and what it gets when it leaves a field unset.
 *
 * @param maxWidth largest image width in pixels
 * @param maxHeight largest image height in pixels
 * @param maxSteps most denoising steps
 * @param maxCount most images per request
 * @param maxPromptChars longest prompt or negative prompt, in characters
 * @param maxGuidanceScale largest guidance scale
 * @param defaultSteps steps of a request that leaves them unset
 * @param defaultGuidanceScale guidance scale of a request that leaves it unset
 */
record RequestLimits(
    int maxWidth,
    int maxHeight,
    int maxSteps,
    int maxCount,
    int maxPromptChars,
    float maxGuidanceScale,
    int defaultSteps,
    float defaultGuidanceScale) {

  // The configuration checks each key where it is declared (GatewayConfig); these are the
  // record's own invariants, for callers that build it from anything else.
  RequestLimits {
    require(maxWidth > 0, "maxWidth must be positive, was " + maxWidth);
    require(maxHeight > 0, "maxHeight must be positive, was " + maxHeight);
    require(maxSteps > 0, "maxSteps must be positive, was " + maxSteps);
    require(maxCount > 0, "maxCount must be positive, was " + maxCount);
    require(maxPromptChars > 0, "maxPromptChars must be positive, was " + maxPromptChars);
    require(
        Float.isFinite(maxGuidanceScale) && maxGuidanceScale >= 0,
        "maxGuidanceScale must be a finite number >= 0, was " + maxGuidanceScale);
    require(
        defaultSteps >= 1 && defaultSteps <= maxSteps,
        "defaultSteps must be between 1 and maxSteps (" + maxSteps + "), was " + defaultSteps);
    require(
        defaultGuidanceScale >= 0 && defaultGuidanceScale <= maxGuidanceScale,
        "defaultGuidanceScale must be between 0 and maxGuidanceScale ("
            + maxGuidanceScale
            + "), was "
            + defaultGuidanceScale);
  }

  /** The limits an operator configured; refuses defaults beyond the maxima, naming both keys. */
  static RequestLimits from(GatewayConfig.Gateway config) {
    require(
        config.defaultSteps() <= config.maxSteps(),
        "t2i.gateway.default-steps must not exceed t2i.gateway.max-steps ("
            + config.maxSteps()
            + "), was "
            + config.defaultSteps());
    require(
        config.defaultGuidanceScale() <= config.maxGuidanceScale(),
        "t2i.gateway.default-guidance-scale must not exceed t2i.gateway.max-guidance-scale ("
            + config.maxGuidanceScale()
            + "), was "
            + config.defaultGuidanceScale());
    return new RequestLimits(
        config.maxWidth(),
        config.maxHeight(),
        config.maxSteps(),
        config.maxCount(),
        config.maxPromptChars(),
        config.maxGuidanceScale(),
        config.defaultSteps(),
        config.defaultGuidanceScale());
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }
}
