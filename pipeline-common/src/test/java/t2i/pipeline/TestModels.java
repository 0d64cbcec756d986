package t2i.pipeline;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the repository's committed models for tests. */
public final class TestModels {

  private TestModels() {}

  public static Path root() {
    String root = System.getProperty("repo.root");
    if (root == null) {
      throw new IllegalStateException("system property repo.root is not set (run through Maven)");
    }
    return Path.of(root);
  }

  public static Path tinyRandom() {
    Path dir = root().resolve("models/tiny-random");
    if (!Files.isRegularFile(dir.resolve("model_index.json"))) {
      throw new IllegalStateException(dir + " is missing: it is committed with the repository");
    }
    return dir;
  }

  public static Path variant(String name) {
    return root().resolve("models/test-variants").resolve(name).resolve("model.onnx");
  }
}
