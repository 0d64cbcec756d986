package t2i.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import t2i.clip.ClipTokenizer;

/** The batch interface other tools rely on: exact format, one output line per input line. */
class JsonLinesTokenizerTest {

  private static final Path SHARED = Path.of(System.getProperty("repo.root"), "..", "shared");
  private static ClipTokenizer clip;

  @BeforeAll
  static void load() throws IOException {
    clip =
        ClipTokenizer.load(
            SHARED.resolve("models/clip-vit-l-14-tokenizer/bpe_simple_vocab_16e6.txt.gz"));
  }

  private static String run(String input) throws IOException {
    StringWriter out = new StringWriter();
    JsonLinesTokenizer.run(clip, new BufferedReader(new StringReader(input)), out);
    return out.toString();
  }

  @Test
  void eachLine_givesItsRawIdsInTheExactFormat() throws IOException {
    assertThat(run("{\"text\": \"kicking soccer ball\"}\n{\"text\": \"\"}\n"))
        .isEqualTo("{\"ids\": [7802, 4233, 1069]}\n{\"ids\": []}\n");
  }

  @Test
  void weightingSyntax_isNotApplied() throws IOException {
    // The brackets and the weight are tokenized as text, exactly as the reference does.
    assertThat(run("{\"text\": \"(cat:1.5)\"}"))
        .isEqualTo(run("{\"text\": \"( cat : 1.5 )\"}"))
        .isNotEqualTo(run("{\"text\": \"cat\"}"));
  }

  @Test
  void publicReferenceVectors_allMatch() throws IOException {
    List<String> lines =
        Files.readAllLines(SHARED.resolve("tokenizer/clip-reference-public.jsonl"));
    String output = run(String.join("\n", lines));

    ObjectMapper json = new ObjectMapper();
    String[] results = output.split("\n");
    assertThat(results).hasSameSizeAs(lines.toArray());
    for (int i = 0; i < lines.size(); i++) {
      JsonNode expected = json.readTree(lines.get(i)).get("ids");
      assertThat(json.readTree(results[i]).get("ids")).as(lines.get(i)).isEqualTo(expected);
    }
  }

  @Test
  void lineThatIsNotATextObject_isRejectedByNumber() {
    assertThatThrownBy(() -> run("{\"text\": \"ok\"}\n{\"txt\": 1}\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line 2");
    assertThatThrownBy(() -> run("not json"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line 1 is not JSON");
  }
}
