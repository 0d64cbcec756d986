package t2i.diffusion;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import t2i.pipeline.tensor.FloatTensor;

/**
 * The repository's committed tiny random model, its loader test variants, and the torch reference
 * of its inputs and outputs ({@code models/scripts/reference/tiny-random-io.json}).
 */
public final class TinyRandom {

  /** The model's token window. */
  public static final int WINDOW = 77;

  /** Width of its text embeddings. */
  public static final int HIDDEN = 32;

  private TinyRandom() {}

  public static Path repoRoot() {
    String root = System.getProperty("repo.root");
    if (root == null) {
      throw new IllegalStateException("system property repo.root is not set (run through Maven)");
    }
    return Path.of(root);
  }

  public static Path dir() {
    Path dir = repoRoot().resolve("models/tiny-random");
    if (!Files.isRegularFile(dir.resolve("model_index.json"))) {
      throw new IllegalStateException(dir + " is missing: it is committed with the repository");
    }
    return dir;
  }

  public static Path variant(String name) {
    return repoRoot().resolve("models/test-variants").resolve(name).resolve("model.onnx");
  }

  /** The torch reference: its fields are documented in the file's {@code description}. */
  public static JsonNode reference() {
    Path file = repoRoot().resolve("models/scripts/reference/tiny-random-io.json");
    try {
      return new ObjectMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static float[] floats(JsonNode array) {
    float[] values = new float[array.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) array.get(i).asDouble();
    }
    return values;
  }

  /**
   * The reference's text encoder output for window {@code index} (0: a prompt, 1: the empty
   * prompt), {@code [77, 32]}.
   */
  public static FloatTensor referenceEmbedding(JsonNode reference, int index) {
    float[] all = floats(reference.get("last_hidden_state"));
    int size = WINDOW * HIDDEN;
    return new FloatTensor(
        new int[] {WINDOW, HIDDEN}, Arrays.copyOfRange(all, index * size, (index + 1) * size));
  }
}
