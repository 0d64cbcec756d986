package t2i.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import t2i.clip.ClipTokenizer;

/**
 * Hugging Face {@code tokenizers} with the {@code tokenizer.json} of {@link ClipTokenizerJson}
 * gives the same ids as {@link ClipTokenizer}, and so as OpenAI's reference, on every public
 * reference vector and on every benchmark input: without that, comparing their speed would mean
 * nothing.
 *
 * <p>The normalizer of Hugging Face's CLIP definition cannot do what OpenAI's {@code ftfy.fix_text}
 * and {@code html.unescape} do. No public vector holds text that those change, so all of them
 * agree; the texts they do change are shown to differ, so that the agreement is not read as wider
 * than it is.
 */
class HuggingFaceParityTest {

  private static ClipVocabulary vocabulary;
  private static ClipTokenizer clip;
  private static HuggingFaceClipTokenizer huggingFace;

  @BeforeAll
  static void load() throws IOException {
    vocabulary = ClipVocabulary.readOpenAi(SharedFiles.vocabulary());
    clip = ClipTokenizer.load(SharedFiles.vocabulary());
    huggingFace = HuggingFaceClipTokenizer.of(vocabulary);
  }

  @AfterAll
  static void close() {
    huggingFace.close();
  }

  private static int[] huggingFaceIds(String text) {
    long[] ids = huggingFace.encode(text);
    assertThat(huggingFace.encodeIdsOnly(text)).as("ids-only path").containsExactly(ids);
    return Arrays.stream(ids).mapToInt(Math::toIntExact).toArray();
  }

  static Stream<ReferenceVector> publicVectors() throws IOException {
    return ReferenceVector.read(SharedFiles.publicVectors()).stream();
  }

  @Test
  void publicVectors_all276Read() throws IOException {
    assertThat(publicVectors()).hasSize(276);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("publicVectors")
  void huggingFace_publicVector_givesReferenceIds(ReferenceVector vector) {
    assertThat(huggingFaceIds(vector.text()))
        .as("Hugging Face ids of %s", vector.text())
        .containsExactly(vector.ids());
    assertThat(clip.encode(vector.text()))
        .as("ClipTokenizer ids of %s", vector.text())
        .containsExactly(vector.ids());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\u201cquoted\u201d and it\u2019s curly", // ftfy straightens quotes and apostrophes
        "salt &amp; pepper", // html.unescape decodes entities
        "\ufb01sh and \ufb02owers", // ftfy expands Latin ligatures
        "\uff21\uff22\uff23 fullwidth", // ftfy narrows fullwidth characters
        "caf\u00c3\u00a9 au lait" // ftfy repairs UTF-8 decoded as Windows-1252
      })
  void huggingFace_textThatFtfyOrHtmlUnescapeChanges_differsFromReference(String text) {
    assertThat(huggingFaceIds(text)).isNotEqualTo(clip.encode(text));
  }

  @Test
  void tokenizerJson_vocabulary_hasClipTokenizerIds() {
    List<String> tokens = vocabulary.tokens();
    assertThat(tokens).hasSize(clip.vocabularySize());
    for (int id = 0; id < tokens.size(); id++) {
      assertThat(clip.idOf(tokens.get(id))).as("id of %s", tokens.get(id)).hasValue(id);
    }
    assertThat(clip.idOf(ClipVocabulary.START_OF_TEXT)).hasValue(clip.startOfTextId());
    assertThat(clip.idOf(ClipVocabulary.END_OF_TEXT)).hasValue(clip.endOfTextId());
  }

  @Test
  void prompts_arePromptSizedAndTokenizedAlike() {
    List<String> prompts = BenchmarkInputs.prompts();
    assertThat(prompts).hasSize(71).doesNotHaveDuplicates();
    for (String prompt : prompts) {
      int[] ids = clip.encode(prompt);
      assertThat(ids.length)
          .as("tokens of %s", prompt)
          .isBetween(BenchmarkInputs.MIN_PROMPT_TOKENS, BenchmarkInputs.MAX_PROMPT_TOKENS);
      assertThat(huggingFaceIds(prompt)).as("ids of %s", prompt).containsExactly(ids);
    }
  }

  @Test
  void distinctPrompts_arePromptSizedDistinctAndTokenizedAlike() {
    List<String> prompts =
        BenchmarkInputs.distinctPrompts(vocabulary, text -> clip.encode(text).length);
    assertThat(prompts)
        .hasSize(BenchmarkInputs.DISTINCT_PROMPT_COUNT)
        .doesNotHaveDuplicates()
        .isEqualTo(BenchmarkInputs.distinctPrompts(vocabulary, text -> clip.encode(text).length));
    for (String prompt : prompts) {
      int[] ids = clip.encode(prompt);
      assertThat(ids.length)
          .isBetween(BenchmarkInputs.MIN_PROMPT_TOKENS, BenchmarkInputs.MAX_PROMPT_TOKENS);
      assertThat(huggingFaceIds(prompt)).as("ids of %s", prompt).containsExactly(ids);
    }
  }

  @Test
  void distinctPrompts_wordsOutnumberBothWordCaches() {
    long distinctWords =
        BenchmarkInputs.distinctPrompts(vocabulary, text -> clip.encode(text).length).stream()
            .flatMap(prompt -> Arrays.stream(prompt.split("[^a-z]+")))
            .distinct()
            .count();
    assertThat(distinctWords).isGreaterThan(16_384);
  }

  @Test
  void longText_isAFewThousandTokensTokenizedAlike() throws IOException {
    String text =
        BenchmarkInputs.longText(
            ReferenceVector.read(SharedFiles.publicVectors()), BenchmarkInputs.prompts());
    int[] ids = clip.encode(text);
    assertThat(ids.length).isBetween(2_000, 5_000);
    assertThat(huggingFaceIds(text)).containsExactly(ids);
  }
}
