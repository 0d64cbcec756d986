package t2i.gateway;

import com.google.protobuf.Any;
import com.google.protobuf.UnknownFieldSet;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import t2i.clip.prompt.PromptTokenizer;
import t2i.pipeline.callback.CallbackRules;
import t2i.pipeline.model.ModelDirectory;
import t2i.pipeline.model.ModelRegistry;
import t2i.v1.GenerateRequest;
import t2i.v1.Scheduler;

/**
 * Checks a request against the service's limits and fills in every default, so that every stage
 * downstream sees a complete, valid request. Errors name the field, the allowed range and the
 * configuration key that sets it. Thread-safe.
 */
final class RequestValidator {

  /** Longest request id, as the API documents it. */
  static final int MAX_REQUEST_ID_CHARS = 128;

  /** Longest job id accepted in GetJob, WatchJob and Cancel; the gateway's ids are 36. */
  static final int MAX_JOB_ID_CHARS = 128;

  /** Where an operator allows callbacks, as refusals name it. */
  private static final String CALLBACK_SETTINGS = "t2i.gateway.callbacks.";

  /** How much of a caller's value an error message repeats. */
  private static final int ECHO_CHARS = 64;

  /** Seeds drawn for requests without one stay exact in JSON clients (below 2^53). */
  private static final long RANDOM_SEED_BOUND = 1L << 53;

  private final RequestLimits limits;
  private final ModelRegistry models;
  private final Map<String, PromptTokenizer> tokenizers;
  private final int maxChunks;
  private final CallbackRules callbacks;

  /**
   * @param tokenizers each model's prompt tokenizer, by model name
   * @param maxChunks most text-encoder windows a prompt may fill
   * @param callbacks which callback URLs are accepted
   */
  RequestValidator(
      RequestLimits limits,
      ModelRegistry models,
      Map<String, PromptTokenizer> tokenizers,
      int maxChunks,
      CallbackRules callbacks) {
    this.limits = limits;
    this.models = models;
    this.tokenizers = Map.copyOf(tokenizers);
    this.maxChunks = maxChunks;
    this.callbacks = callbacks;
  }

  /** The callback rules an operator configured under {@code t2i.gateway.callbacks.*}. */
  static CallbackRules callbackRules(GatewayConfig.Callbacks config) {
    return new CallbackRules(
        Set.copyOf(config.allowedSchemes().orElse(List.of())),
        config.allowedHosts().orElse(List.of()),
        config.allowPrivateAddresses(),
        config.maxUrlChars());
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
                    "model",
                    "model "
                        + echo(name)
                        + " does not exist; available models: "
                        + models.names()
                        + " (ListModels)"));
  }

  PromptTokenizer tokenizer(ModelDirectory model) {
    // The gateway loads a tokenizer for every model of the registry.
    return Objects.requireNonNull(tokenizers.get(model.name()));
  }

  int maxChunks() {
    return maxChunks;
  }

  /**
   * @return the request as it will run: model, size, steps, guidance, seed and count resolved,
   *     fields this server does not know dropped
   * @throws StatusRuntimeException INVALID_ARGUMENT for a bad field, NOT_FOUND for an unknown model
   */
  GenerateRequest resolve(GenerateRequest request) {
    if (request.getRequestId().length() > MAX_REQUEST_ID_CHARS) {
      throw invalid(
          "request_id",
          "request_id is "
              + request.getRequestId().length()
              + " characters long; at most "
              + MAX_REQUEST_ID_CHARS
              + " are accepted");
    }
    if (request.getScheduler() == Scheduler.UNRECOGNIZED) {
      throw invalid(
          "scheduler",
          "scheduler "
              + request.getSchedulerValue()
              + " is not a scheduler this server knows; use one of "
              + Arrays.stream(Scheduler.values()).filter(s -> s != Scheduler.UNRECOGNIZED).toList()
              + " (SCHEDULER_UNSPECIFIED: the model's own)");
    }
    if (!request.getCallbackUrl().isEmpty()) {
      callbacks
          .refusal(request.getCallbackUrl(), CALLBACK_SETTINGS)
          .ifPresent(
              refusal -> {
                throw invalid("callback_url", refusal);
              });
    }
    ModelDirectory model = model(request.getModel());
    String prompt = request.getPrompt();
    if (prompt.isBlank()) {
      throw invalid("prompt", "prompt must not be empty");
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
          "steps",
          "steps must be between 1 and "
              + limits.maxSteps()
              + " (t2i.gateway.max-steps), or 0 for the default of "
              + limits.defaultSteps()
              + "; was "
              + request.getSteps());
    }
    float guidance =
        request.hasGuidanceScale() ? request.getGuidanceScale() : limits.defaultGuidanceScale();
    if (!Float.isFinite(guidance) || guidance < 0f || guidance > limits.maxGuidanceScale()) {
      throw invalid(
          "guidance_scale",
          "guidance_scale must be a finite number between 0 and "
              + limits.maxGuidanceScale()
              + " (t2i.gateway.max-guidance-scale; values <= 1 turn guidance off); was "
              + request.getGuidanceScale());
    }
    int count = request.getCount() == 0 ? 1 : request.getCount();
    if (count < 1 || count > limits.maxCount()) {
      throw invalid(
          "count",
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
        .setUnknownFields(UnknownFieldSet.getDefaultInstance())
        .build();
  }

  /**
   * Checks a job id given to GetJob, WatchJob or Cancel.
   *
   * @throws StatusRuntimeException INVALID_ARGUMENT if it is empty or too long to be a job id
   */
  static String requireJobId(String jobId) {
    if (jobId.isBlank()) {
      throw invalid("job_id must not be empty; Submit and Generate return it");
    }
    if (jobId.length() > MAX_JOB_ID_CHARS) {
      throw invalid(
          "job_id "
              + echo(jobId)
              + " is not a job id: it is longer than "
              + MAX_JOB_ID_CHARS
              + " characters");
    }
    return jobId;
  }

  /** A caller's value quoted for an error message, cut short so the message stays small. */
  static String echo(String value) {
    if (value.length() <= ECHO_CHARS) {
      return "'" + value + "'";
    }
    return "'" + value.substring(0, ECHO_CHARS) + "...' (" + value.length() + " characters)";
  }

  /** Checks that a prompt fits the windows the text encoder will run on. */
  private void requireFits(String field, String text, ModelDirectory model) {
    int cutOff = tokenizer(model).tokenize(text, maxChunks).cutOffCount();
    if (cutOff > 0) {
      throw invalid(
          field,
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
          field,
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
          field,
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

  /**
   * A bad request field: the description says what to change, and a {@code google.rpc.BadRequest}
   * detail names the field, so that a client (the web page) can show the message beside it.
   */
  static StatusRuntimeException invalid(String field, String message) {
    return withField(Code.INVALID_ARGUMENT, field, message);
  }

  static StatusRuntimeException notFound(String message) {
    return Status.NOT_FOUND.withDescription(message).asRuntimeException();
  }

  static StatusRuntimeException notFound(String field, String message) {
    return withField(Code.NOT_FOUND, field, message);
  }

  private static StatusRuntimeException withField(Code code, String field, String message) {
    return StatusProto.toStatusRuntimeException(
        com.google.rpc.Status.newBuilder()
            .setCode(code.getNumber())
            .setMessage(message)
            .addDetails(
                Any.pack(
                    BadRequest.newBuilder()
                        .addFieldViolations(
                            BadRequest.FieldViolation.newBuilder()
                                .setField(field)
                                .setDescription(message))
                        .build()))
            .build());
  }
}
