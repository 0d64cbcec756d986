package t2i.launcher;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** Options of the commands that start a local cluster. */
final class ClusterOptions {

  @Option(names = "--port", description = "Gateway gRPC port (default: a free port).")
  int port;

  @Option(
      names = "--models",
      paramLabel = "DIR",
      description = "Directory of models (default: the checkout's models/).")
  @Nullable Path models;

  @Option(names = "--default-model", description = "Model used when a request names none.")
  @Nullable String defaultModel;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "More service configuration, e.g. --set t2i.gateway.default-steps=30.")
  Map<String, String> settings = Map.of();

  @Option(
      names = "--otlp-endpoint",
      paramLabel = "URL",
      description =
          "Send every service's traces over OTLP (gRPC) to this collector, e.g."
              + " http://localhost:4317 (default: no tracing).")
  @Nullable String otlpEndpoint;

  LocalCluster.Options options(Path home) {
    LocalCluster.Options defaults = LocalCluster.Options.forCheckout(home);
    Map<String, String> config = new LinkedHashMap<>();
    if (otlpEndpoint != null) {
      config.put("quarkus.otel.sdk.disabled", "false");
      config.put("quarkus.otel.exporter.otlp.endpoint", otlpEndpoint);
    }
    config.putAll(settings);
    return new LocalCluster.Options(
        home,
        models != null ? models : defaults.modelsDir(),
        Optional.ofNullable(defaultModel).or(defaults::defaultModel),
        port,
        defaults.logDir(),
        defaults.startTimeout(),
        config);
  }
}
