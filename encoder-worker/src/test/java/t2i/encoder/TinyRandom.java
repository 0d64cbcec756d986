package t2i.encoder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The repository's committed tiny random model, its loader test variants, and the torch reference
 * of its inputs and outputs ({@code models/scripts/reference/tiny-random-io.json}).
 */
final class TinyRandom {

  /** The model's token window. */
  static final int WINDOW = 77;

  /** Width of its text embeddings. */
  static final int HIDDEN = 32;

  private TinyRandom() {}

  static Path repoRoot() {
    String root = System.getProperty("repo.root");
    if (root == null) {
      throw new IllegalStateException("system property repo.root is not set (run through Maven)");
    }
    return Path.of(root);
  }

  static Path dir() {
    Path dir = repoRoot().resolve("models/tiny-random");
    if (!Files.isRegularFile(dir.resolve("model_index.json"))) {
      throw new IllegalStateException(dir + " is missing: it is committed with the repository");
    }
    return dir;
  }

  static Path textEncoder() {
    return dir().resolve("text_encoder/model.onnx");
  }

  static Path unet() {
    return dir().resolve("unet/model.onnx");
  }

  static Path variant(String name) {
    return repoRoot().resolve("models/test-variants").resolve(name).resolve("model.onnx");
  }

  /** The torch reference: its fields are documented in the file's {@code description}. */
  static JsonNode reference() {
    Path file = repoRoot().resolve("models/scripts/reference/tiny-random-io.json");
    try {
      return new ObjectMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The reference's token id windows, one after another. */
  static int[] referenceIds(JsonNode reference) {
    JsonNode windows = reference.get("input_ids");
    int[] ids = new int[windows.size() * WINDOW];
    int at = 0;
    for (JsonNode window : windows) {
      for (JsonNode id : window) {
        ids[at++] = id.asInt();
      }
    }
    return ids;
  }

  static float[] floats(JsonNode array) {
    float[] values = new float[array.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) array.get(i).asDouble();
    }
    return values;
  }
}
