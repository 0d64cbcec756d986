package t2i.clip;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Exact parity with OpenAI CLIP's {@code simple_tokenizer.py}. The public vectors live in the
 * shared directory; the extra vectors in {@code clip-reference-extra.jsonl} were produced by {@code
 * src/test/python/generate_reference_vectors.py} running the reference itself (CLIP's
 * simple_tokenizer.py, ftfy 6.3.1, regex 2026.5.9, Python 3.11).
 */
class ClipTokenizerReferenceTest {

  static Stream<ReferenceFiles.Vector> publicVectors() throws IOException {
    return ReferenceFiles.read(
        ReferenceFiles.shared().resolve("tokenizer/clip-reference-public.jsonl"))
        .stream();
  }

  static Stream<ReferenceFiles.Vector> extraVectors() throws IOException {
    return ReferenceFiles.readResource("clip-reference-extra.jsonl").stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("publicVectors")
  void encode_publicReferenceVector_matchesReferenceIds(ReferenceFiles.Vector vector) {
    assertThat(ReferenceFiles.openAiTokenizer().encode(vector.text()))
        .as("ids of %s", vector.text())
        .containsExactly(vector.ids());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("extraVectors")
  void encode_extraReferenceVector_matchesReferenceIds(ReferenceFiles.Vector vector) {
    assertThat(ReferenceFiles.openAiTokenizer().encode(vector.text()))
        .as("ids of %s", vector.text())
        .containsExactly(vector.ids());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("extraVectors")
  void tokenize_extraReferenceVector_agreesWithEncode(ReferenceFiles.Vector vector) {
    List<Token> tokens = ReferenceFiles.openAiTokenizer().tokenize(vector.text());
    assertThat(tokens.stream().mapToInt(Token::id).toArray()).containsExactly(vector.ids());
  }
}
