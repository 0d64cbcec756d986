package t2i.gateway;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import t2i.clip.prompt.PromptTokenizer;
import t2i.pipeline.model.ModelDirectory;
import t2i.pipeline.model.ModelRegistry;
import t2i.v1.GenerateRequest;

/**
 * Checks a request against the service's limits and fills in every default, so that every stage
 * downstream sees a complete, valid request. Errors name the field, the allowed range and the
 * configuration key that sets it. Thread-safe.
 */
final class RequestValidator {

  /** Guidance far beyond this only saturates images; it is almost certainly a mistake. */
  static final float MAX_GUIDANCE = 100f;

  /** Seeds drawn for requests without one stay exact in JSON clients (below 2^53). */
  private static final long RANDOM_SEED_BOUND = 1L << 53;

  private final GatewayConfig.Gateway limits;
  private final ModelRegistry models;
  private final Map<String, PromptTokenizer> tokenizers;
  private final int maxChunks;

  /**
   * @param tokenizers each model's prompt tokenizer, by model name
   * @param maxChunks most text-encoder windows a prompt may fill
   */
  RequestValidator(
      GatewayConfig.Gateway limits,
      ModelRegistry models,
      Map<String, PromptTokenizer> tokenizers,
      int maxChunks) {
    this.limits = limits;
    this.models = models;
    this.tokenizers = Map.copyOf(tokenizers);
    this.maxChunks = maxChunks;
  }

  /**
   * The named model (blank: the default).
   *
   * @throws StatusRuntimeException NOT_FOUND naming the available models
   */
  ModelDirectory model(String name) {
    return models
        .find(name)
        .orElseThrow(
            () ->
                notFound(
                    "model '" + name + "' does not exist; available models: " + models.names()));
  }

  PromptTokenizer tokenizer(ModelDirectory model) {
    return tokenizers.get(model.name());
  }

  int maxChunks() {
    return maxChunks;
  }

  /**
   * @return the request as it will run: model, size, steps, guidance, seed and count resolved
   * @throws StatusRuntimeException INVALID_ARGUMENT for a bad field, NOT_FOUND for an unknown model
   */
  GenerateRequest resolve(GenerateRequest request) {
    ModelDirectory model = model(request.getModel());
    String prompt = request.getPrompt();
    if (prompt.isBlank()) {
      throw invalid("prompt must not be empty");
    }
    requireLength("prompt", prompt);
    requireLength("negative_prompt", request.getNegativePrompt());
    requireFits("prompt", prompt, model);
    requireFits("negative_prompt", request.getNegativePrompt(), model);
    int width = request.getWidth() == 0 ? model.defaultImageSize() : request.getWidth();
    int height = request.getHeight() == 0 ? model.defaultImageSize() : request.getHeight();
    requireSize("width", width, limits.maxWidth(), "t2i.gateway.max-width");
    requireSize("height", height, limits.maxHeight(), "t2i.gateway.max-height");
    int steps = request.getSteps() == 0 ? limits.defaultSteps() : request.getSteps();
    if (steps < 1 || steps > limits.maxSteps()) {
      throw invalid(
          "steps must be between 1 and "
              + limits.maxSteps()
              + " (t2i.gateway.max-steps), or 0 for the default of "
              + limits.defaultSteps()
              + "; was "
              + request.getSteps());
    }
    float guidance =
        request.hasGuidanceScale() ? request.getGuidanceScale() : limits.defaultGuidanceScale();
    if (!Float.isFinite(guidance) || guidance < 0f || guidance > MAX_GUIDANCE) {
      throw invalid(
          "guidance_scale must be a finite number between 0 and "
              + MAX_GUIDANCE
              + " (values <= 1 turn guidance off); was "
              + request.getGuidanceScale());
    }
    int count = request.getCount() == 0 ? 1 : request.getCount();
    if (count < 1 || count > limits.maxCount()) {
      throw invalid(
          "count must be between 1 and "
              + limits.maxCount()
              + " (t2i.gateway.max-count), or 0 for one image; was "
              + request.getCount());
    }
    long seed =
        request.hasSeed()
            ? request.getSeed()
            : ThreadLocalRandom.current().nextLong(RANDOM_SEED_BOUND);
    return request.toBuilder()
        .setModel(model.name())
        .setWidth(width)
        .setHeight(height)
        .setSteps(steps)
        .setGuidanceScale(guidance)
        .setSeed(seed)
        .setCount(count)
        .build();
  }

  /** Checks that a prompt fits the windows the text encoder will run on. */
  private void requireFits(String field, String text, ModelDirectory model) {
    int cutOff = tokenizer(model).tokenize(text, maxChunks).cutOffCount();
    if (cutOff > 0) {
      throw invalid(
          field
              + " does not fit in "
              + maxChunks
              + " windows of "
              + tokenizer(model).framing().capacity()
              + " tokens (t2i.models.max-prompt-chunks): shorten it by at least "
              + cutOff
              + " tokens (Tokenize shows where it is cut)");
    }
  }

  void requireLength(String field, String text) {
    if (text.length() > limits.maxPromptChars()) {
      throw invalid(
          field
              + " is "
              + text.length()
              + " characters long; at most "
              + limits.maxPromptChars()
              + " are accepted (t2i.gateway.max-prompt-chars)");
    }
  }

  private static void requireSize(String field, int value, int max, String key) {
    if (value <= 0 || value % ModelDirectory.VAE_SCALE != 0 || value > max) {
      throw invalid(
          field
              + " must be a positive multiple of 8 up to "
              + max
              + " ("
              + key
              + "), or 0 for the model's default; was "
              + value);
    }
  }

  static StatusRuntimeException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }

  static StatusRuntimeException notFound(String message) {
    return Status.NOT_FOUND.withDescription(message).asRuntimeException();
  }
}
