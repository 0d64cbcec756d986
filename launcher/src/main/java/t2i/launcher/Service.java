package t2i.launcher;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The services, each started from its own packaged build. */
public enum Service {
  GATEWAY("gateway", "512m", "t2i.models.", "t2i.gateway."),
  TOKENIZER("tokenizer-service", "512m", "t2i.models.", "t2i.tokenizer."),
  ENCODER("encoder-worker", "1g", "t2i.models.", "t2i.encoder.", "t2i.engine."),
  DIFFUSION("diffusion-worker", "2g", "t2i.models.", "t2i.diffusion.", "t2i.engine."),
  /** Reads the events and calls ended jobs' callbacks; it needs no models. */
  NOTIFIER("notifier", "256m", "t2i.notifier.");

  /** Configuration every service reads; other {@code t2i.*} keys belong to some services only. */
  private static final List<String> SHARED = List.of("t2i.kafka.", "t2i.redis.");

  private final String module;
  private final String maxHeap;

  // List.of is unmodifiable, so the enum stays immutable.
  @SuppressWarnings("ImmutableEnumChecker")
  private final List<String> ownConfig;

  Service(String module, String maxHeap, String... ownConfig) {
    this.module = module;
    this.maxHeap = maxHeap;
    this.ownConfig = List.of(ownConfig);
  }

  /**
   * The part of the cluster's configuration this service reads: each service refuses to start on a
   * {@code t2i.*} key it does not know, such as another service's setting.
   */
  public Map<String, String> configOf(Map<String, String> all) {
    Map<String, String> mine = new LinkedHashMap<>();
    all.forEach(
        (key, value) -> {
          if (!key.startsWith("t2i.")
              || SHARED.stream().anyMatch(key::startsWith)
              || ownConfig.stream().anyMatch(key::startsWith)) {
            mine.put(key, value);
          }
        });
    return mine;
  }

  public String module() {
    return module;
  }

  String maxHeap() {
    return maxHeap;
  }

  /** The service's runnable jar in a built checkout. */
  Path jar(Path home) {
    return home.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
  }
}
