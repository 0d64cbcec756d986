package t2i.client;

import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import t2i.v1.GenerateRequest;

/** The command-line options that describe one generation request. */
public final class GenerationOptions {

  // Required, so picocli has set it before the command runs.
  @SuppressWarnings("NullAway.Init")
  @Parameters(index = "0", paramLabel = "PROMPT", description = "What to draw.")
  String prompt;

  // Required, so picocli has set it before the command runs.
  @SuppressWarnings("NullAway.Init")
  @Option(
      names = "--out",
      required = true,
      paramLabel = "PATH",
      description = "Where to write the PNG; with --count N, PATH-0.png ... PATH-(N-1).png.")
  Path out;

  @Option(names = "--negative", paramLabel = "TEXT", description = "What to steer away from.")
  String negative = "";

  @Option(names = "--steps", description = "Denoising steps (default: the server's).")
  @Nullable Integer steps;

  @Option(names = "--guidance", description = "Guidance scale; <= 1 turns guidance off.")
  @Nullable Float guidance;

  @Option(names = "--seed", description = "Seed of the first image (default: random).")
  @Nullable Long seed;

  @Option(names = "--width", description = "Width in pixels, a multiple of 8.")
  @Nullable Integer width;

  @Option(names = "--height", description = "Height in pixels, a multiple of 8.")
  @Nullable Integer height;

  @Option(names = "--count", description = "Number of images (default 1).")
  @Nullable Integer count;

  @Option(names = "--model", description = "Model name (default: the server's default model).")
  @Nullable String model;

  @Option(
      names = "--callback",
      paramLabel = "URL",
      description =
          "Where the server POSTs the job's outcome, signed, when it ends (the server must allow"
              + " the URL's scheme and host).")
  @Nullable String callback;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      description = "Give up after this long, ISO-8601 (default PT10M).")
  Duration timeout = Duration.ofMinutes(10);

  public Path out() {
    return out;
  }

  public Duration timeout() {
    return timeout;
  }

  public GenerateRequest toRequest() {
    GenerateRequest.Builder request =
        GenerateRequest.newBuilder().setPrompt(prompt).setNegativePrompt(negative);
    if (steps != null) {
      request.setSteps(steps);
    }
    if (guidance != null) {
      request.setGuidanceScale(guidance);
    }
    if (seed != null) {
      request.setSeed(seed);
    }
    if (width != null) {
      request.setWidth(width);
    }
    if (height != null) {
      request.setHeight(height);
    }
    if (count != null) {
      request.setCount(count);
    }
    if (model != null) {
      request.setModel(model);
    }
    if (callback != null) {
      request.setCallbackUrl(callback);
    }
    return request.build();
  }
}
