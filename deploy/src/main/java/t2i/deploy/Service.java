package t2i.deploy;

import java.nio.file.Path;

/** The four services, each started from its own packaged build. */
enum Service {
  GATEWAY("gateway", "512m"),
  TOKENIZER("tokenizer-service", "512m"),
  ENCODER("encoder-worker", "1g"),
  DIFFUSION("diffusion-worker", "2g");

  private final String module;
  private final String maxHeap;

  Service(String module, String maxHeap) {
    this.module = module;
    this.maxHeap = maxHeap;
  }

  String module() {
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
