package t2i.launcher;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import t2i.client.ApiKeyOption;

/** Options of the commands that generate with the shapes demo model. */
final class ShapesRunOptions {

  @Option(
      names = "--server",
      paramLabel = "HOST:PORT",
      description = "A running gateway (default: start everything locally).")
  @Nullable String server;

  // Picocli creates every mixin before the command runs.
  @SuppressWarnings("NullAway.Init")
  @Mixin
  ClusterOptions cluster;

  // Picocli creates every mixin before the command runs.
  @SuppressWarnings("NullAway.Init")
  @Mixin
  ApiKeyOption apiKey;

  @Option(names = "--model", description = "Model name (default ${DEFAULT-VALUE}).")
  String model = "shapes";

  @Option(names = "--steps", description = "Denoising steps (default ${DEFAULT-VALUE}).")
  int steps = 25;

  @Option(names = "--guidance", description = "Guidance scale (default ${DEFAULT-VALUE}).")
  float guidance = 5f;

  /** The model's directory in this checkout, where its domain.json is. */
  Path modelDir() {
    return Home.locate().resolve("models").resolve(model);
  }
}
