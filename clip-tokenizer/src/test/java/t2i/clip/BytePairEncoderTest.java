package t2i.clip;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BytePairEncoderTest {

  private static final BytePairEncoder ENCODER = openAiEncoder();

  private static BytePairEncoder openAiEncoder() {
    try {
      Vocabulary vocabulary = Vocabulary.readOpenAiMerges(ReferenceFiles.openAiVocabulary());
      return new BytePairEncoder(
          vocabulary.byteSymbols(false), vocabulary.byteSymbols(true), vocabulary.merges());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void mergeWithQueue_randomWords_agreesWithReferenceProcedure() {
    Random random = new Random(42L);
    String[] syllables = {"a", "an", "the", "ing", "ab", "ba", "er", "s", "tion", "😀", "é", "日"};
    for (int i = 0; i < 3000; i++) {
      StringBuilder word = new StringBuilder();
      int parts = 1 + random.nextInt(i % 10 == 0 ? 120 : 20);
      for (int p = 0; p < parts; p++) {
        word.append(syllables[random.nextInt(syllables.length)]);
      }
      byte[] bytes = word.toString().getBytes(StandardCharsets.UTF_8);
      int[] initial = ENCODER.initialSymbols(bytes, 0, bytes.length);

      assertThat(ENCODER.mergeWithQueue(initial.clone()))
          .as("word %s", word)
          .containsExactly(ENCODER.mergeSimply(initial.clone()));
    }
  }

  @Test
  void mergeWithQueue_randomBytes_agreesWithReferenceProcedure() {
    Random random = new Random(43L);
    for (int i = 0; i < 1000; i++) {
      byte[] bytes = new byte[1 + random.nextInt(80)];
      for (int k = 0; k < bytes.length; k++) {
        bytes[k] = (byte) (random.nextBoolean() ? 'a' + random.nextInt(4) : random.nextInt(256));
      }
      int[] initial = ENCODER.initialSymbols(bytes, 0, bytes.length);

      assertThat(ENCODER.mergeWithQueue(initial.clone()))
          .containsExactly(ENCODER.mergeSimply(initial.clone()));
    }
  }

  @Test
  void encode_repeatedLetters_mergesIntoLongestPieces() {
    byte[] word =
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
            .getBytes(StandardCharsets.UTF_8);

    int[] symbols = ENCODER.encode(word, 0, word.length);

    assertThat(symbols)
        .containsExactly(ENCODER.mergeSimply(ENCODER.initialSymbols(word, 0, word.length)));
    assertThat(symbols.length).isLessThan(word.length / 2);
  }

  @Test
  void encode_sameWordTwice_returnsCachedResult() {
    byte[] word = "tokenization".getBytes(StandardCharsets.US_ASCII);

    assertThat(ENCODER.encode(word, 0, word.length)).isSameAs(ENCODER.encode(word, 0, word.length));
  }
}
