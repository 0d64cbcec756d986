package t2i.clip;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Locates the shared reference files beside the repository and reads reference vectors. */
public final class ReferenceFiles {

  private static @Nullable ClipTokenizer openAiTokenizer;

  private ReferenceFiles() {}

  /** {@code <repo>/../shared}, from the {@code repo.root} property the build sets. */
  public static Path shared() {
    String root = System.getProperty("repo.root");
    assertThat(root)
        .as("system property repo.root (set by the root pom's surefire configuration)")
        .isNotBlank();
    Path shared = Path.of(root).toAbsolutePath().normalize().resolveSibling("shared");
    assertThat(shared)
        .as("shared reference directory beside the repository root %s", root)
        .isDirectory();
    return shared;
  }

  public static Path openAiVocabulary() {
    Path gz = shared().resolve("models/clip-vit-l-14-tokenizer/bpe_simple_vocab_16e6.txt.gz");
    assertThat(gz).as("OpenAI CLIP vocabulary").isRegularFile();
    return gz;
  }

  public static synchronized ClipTokenizer openAiTokenizer() {
    ClipTokenizer loaded = openAiTokenizer;
    if (loaded == null) {
      try {
        loaded = ClipTokenizer.load(openAiVocabulary());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      openAiTokenizer = loaded;
    }
    return loaded;
  }

  /** One line of a reference file: the input text and the ids the reference produced. */
  @SuppressWarnings("ArrayRecordComponent") // Never compared: each vector is read once.
  record Vector(int line, String label, String text, int[] ids) {
    @Override
    public String toString() {
      return "line " + line + (label.isEmpty() ? "" : " [" + label + "]");
    }
  }

  static List<Vector> read(Path jsonl) throws IOException {
    assertThat(jsonl).as("reference vectors").isRegularFile();
    try (InputStream in = Files.newInputStream(jsonl)) {
      return read(in);
    }
  }

  static List<Vector> readResource(String name) throws IOException {
    try (InputStream in = ReferenceFiles.class.getResourceAsStream(name)) {
      assertThat(in).as("test resource t2i/clip/" + name).isNotNull();
      return read(in);
    }
  }

  private static List<Vector> read(InputStream in) throws IOException {
    ObjectMapper mapper = new ObjectMapper();
    List<Vector> vectors = new ArrayList<>();
    BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    int number = 0;
    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
      number++;
      if (line.isBlank()) {
        continue;
      }
      JsonNode node = mapper.readTree(line);
      JsonNode ids = node.get("ids");
      int[] expected = new int[ids.size()];
      for (int i = 0; i < expected.length; i++) {
        expected[i] = ids.get(i).asInt();
      }
      String label = node.has("case") ? node.get("case").asText() : "";
      vectors.add(new Vector(number, label, node.get("text").asText(), expected));
    }
    return vectors;
  }
}
