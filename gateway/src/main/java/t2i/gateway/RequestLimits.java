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

  RequestLimits {
    require(maxWidth > 0, "t2i.gateway.max-width must be positive, was " + maxWidth);
    require(maxHeight > 0, "t2i.gateway.max-height must be positive, was " + maxHeight);
    require(maxSteps > 0, "t2i.gateway.max-steps must be positive, was " + maxSteps);
    require(maxCount > 0, "t2i.gateway.max-count must be positive, was " + maxCount);
    require(
        maxPromptChars > 0, "t2i.gateway.max-prompt-chars must be positive, was " + maxPromptChars);
    require(
        Float.isFinite(maxGuidanceScale) && maxGuidanceScale >= 0,
        "t2i.gateway.max-guidance-scale must be a finite number >= 0, was " + maxGuidanceScale);
    require(
        defaultSteps >= 1 && defaultSteps <= maxSteps,
        "t2i.gateway.default-steps must be between 1 and t2i.gateway.max-steps ("
            + maxSteps
            + "), was "
            + defaultSteps);
    require(
        defaultGuidanceScale >= 0 && defaultGuidanceScale <= maxGuidanceScale,
        "t2i.gateway.default-guidance-scale must be between 0 and t2i.gateway.max-guidance-scale ("
            + maxGuidanceScale
            + "), was "
            + defaultGuidanceScale);
  }

  static RequestLimits from(GatewayConfig.Gateway config) {
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
