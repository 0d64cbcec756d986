package t2i.clip.prompt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import t2i.clip.ClipTokenizer;
import t2i.clip.ReferenceFiles;

/** Long-prompt chunking, weights and framing with the real CLIP vocabulary. */
class PromptTokenizerTest {

  private static ClipTokenizer clip;
  private static PromptTokenizer prompts;
  private static int bos;
  private static int eos;
  private static int cat;
  private static int comma;

  @BeforeAll
  static void load() {
    clip = ReferenceFiles.openAiTokenizer();
    prompts =
        new PromptTokenizer(
            clip, new Framing(77, clip.startOfTextId(), clip.endOfTextId(), clip.endOfTextId()));
    bos = clip.startOfTextId();
    eos = clip.endOfTextId();
    cat = clip.encode("cat")[0];
    comma = clip.encode(",")[0];
  }

  private static String cats(int n) {
    return String.join(" ", Collections.nCopies(n, "cat"));
  }

  @Test
  void shortPrompt_isOneFramedWindow() {
    TokenizedPrompt prompt = prompts.tokenize("a cat", 8);

    assertThat(prompt.chunks()).hasSize(1);
    int[] ids = prompt.chunks().getFirst().ids();
    int[] expected = new int[77];
    Arrays.fill(expected, eos);
    expected[0] = bos;
    int[] words = clip.encode("a cat");
    System.arraycopy(words, 0, expected, 1, words.length);
    assertThat(ids).containsExactly(expected);
    assertThat(prompt.isWeighted()).isFalse();
    assertThat(prompt.tokens())
        .extracting(PlacedToken::chunk, PlacedToken::position)
        .containsExactly(tuple(0, 1), tuple(0, 2));
  }

  @Test
  void emptyPrompt_isBosEosAndPadding() {
    TokenizedPrompt prompt = prompts.tokenize("", 8);

    assertThat(prompt.chunks()).containsExactly(prompts.emptyChunk());
    assertThat(prompt.chunks().getFirst().ids()[0]).isEqualTo(bos);
    assertThat(prompt.chunks().getFirst().ids()[1]).isEqualTo(eos);
    assertThat(prompt.tokens()).isEmpty();
  }

  @Test
  void longPrompt_isSplitInto75TokenWindows() {
    TokenizedPrompt prompt = prompts.tokenize(cats(100), 8);

    assertThat(prompt.chunks()).hasSize(2);
    int[] first = prompt.chunks().get(0).ids();
    int[] second = prompt.chunks().get(1).ids();
    assertThat(first[0]).isEqualTo(bos);
    assertThat(Arrays.copyOfRange(first, 1, 76)).containsOnly(cat);
    assertThat(first[76]).isEqualTo(eos);
    assertThat(Arrays.copyOfRange(second, 1, 26)).containsOnly(cat);
    assertThat(second[26]).isEqualTo(eos);
    assertThat(prompt.tokens().get(75).chunk()).isEqualTo(1);
    assertThat(prompt.tokens().get(75).position()).isEqualTo(1);
  }

  @Test
  void windowBreak_movesBackToJustAfterARecentComma() {
    // 70 tokens, a comma, then 10 more: the first window ends with the comma.
    TokenizedPrompt prompt = prompts.tokenize(cats(70) + ", " + cats(10), 8);

    int[] first = prompt.chunks().get(0).ids();
    assertThat(first[71]).isEqualTo(comma);
    assertThat(first[72]).isEqualTo(eos);
    assertThat(Arrays.copyOfRange(prompt.chunks().get(1).ids(), 1, 11)).containsOnly(cat);
  }

  @Test
  void commaTooFarBack_doesNotMoveTheBreak() {
    TokenizedPrompt prompt = prompts.tokenize(cats(40) + ", " + cats(50), 8);

    assertThat(prompt.chunks().get(0).ids()[75]).isEqualTo(cat);
    assertThat(prompt.tokens().stream().filter(t -> t.chunk() == 0).count()).isEqualTo(75);
  }

  @Test
  void breakKeyword_startsANewWindow() {
    TokenizedPrompt prompt = prompts.tokenize("a cat BREAK a dog", 8);

    assertThat(prompt.chunks()).hasSize(2);
    assertThat(prompt.chunks().get(1).ids()[1]).isEqualTo(clip.encode("a")[0]);
  }

  @Test
  void weights_followTheTokensOfEachRun() {
    TokenizedPrompt prompt = prompts.tokenize("a (cat:1.5) [dog]", 8);

    float[] weights = prompt.chunks().getFirst().weights();
    assertThat(weights[0]).isEqualTo(1f);
    assertThat(weights[1]).isEqualTo(1f);
    assertThat(weights[2]).isEqualTo(1.5f);
    assertThat(weights[3]).isCloseTo(1 / 1.1f, within(1e-6f));
    assertThat(weights[4]).isEqualTo(1f);
    assertThat(prompt.isWeighted()).isTrue();
  }

  @Test
  void tokensBeyondTheChunkLimit_areCutOffAndReported() {
    TokenizedPrompt prompt = prompts.tokenize(cats(100), 1);

    assertThat(prompt.chunks()).hasSize(1);
    assertThat(prompt.cutOffCount()).isEqualTo(25);
    assertThat(prompt.tokens().get(99).isCutOff()).isTrue();
  }

  @Test
  void padTo_addsEmptyWindows() {
    List<PromptChunk> padded = prompts.padTo(prompts.tokenize("a cat", 8).chunks(), 3);

    assertThat(padded).hasSize(3);
    assertThat(padded.get(2)).isEqualTo(prompts.emptyChunk());
  }

  @Test
  void hugePrompt_neverFails() {
    TokenizedPrompt prompt = prompts.tokenize("((a".repeat(20_000) + ":9)".repeat(5), 4);

    assertThat(prompt.chunks()).hasSize(4);
  }

  @Test
  void load_readsWindowAndPadTokenFromTokenizerConfig(@TempDir Path dir) throws IOException {
    Files.copy(ReferenceFiles.openAiVocabulary(), dir.resolve("bpe_simple_vocab_16e6.txt.gz"));
    Files.writeString(
        dir.resolve("tokenizer_config.json"),
        "{\"model_max_length\": 77, \"pad_token\": {\"content\": \"!\", \"lstrip\": false}}");

    PromptTokenizer sd2 = PromptTokenizer.load(dir);

    assertThat(sd2.framing().pad()).isZero();
    assertThat(sd2.tokenize("a cat", 1).chunks().getFirst().ids()[4]).isZero();
  }

  @Test
  void load_withoutConfig_padsWithEndOfText(@TempDir Path dir) throws IOException {
    Files.copy(ReferenceFiles.openAiVocabulary(), dir.resolve("bpe_simple_vocab_16e6.txt.gz"));

    PromptTokenizer sd1 = PromptTokenizer.load(dir);

    assertThat(sd1.framing()).isEqualTo(new Framing(77, bos, eos, eos));
  }
}
