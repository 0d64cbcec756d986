package t2i.clip;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PreTokenizerTest {

  private static List<String> split(String cleaned) {
    byte[] utf8 = cleaned.getBytes(StandardCharsets.UTF_8);
    List<String> pieces = new ArrayList<>();
    PreTokenizer.split(
        utf8,
        utf8.length,
        new PreTokenizer.Sink() {
          @Override
          public void word(byte[] bytes, int start, int end) {
            pieces.add(new String(bytes, start, end - start, StandardCharsets.UTF_8));
          }

          @Override
          public void special(boolean startOfText) {
            pieces.add(startOfText ? "[SOT]" : "[EOT]");
          }
        });
    return pieces;
  }

  @Test
  void split_lettersNumbersAndPunctuation_followReferencePattern() {
    assertThat(split("a photo, 2024! x2 \u65E5\u672C\u8A9E \u0663\u0664"))
        .containsExactly(
            "a",
            "photo",
            ",",
            "2",
            "0",
            "2",
            "4",
            "!",
            "x",
            "2",
            "\u65E5\u672C\u8A9E",
            "\u0663",
            "\u0664");
  }

  @Test
  void split_contractions_areSeparateOnlyWhereAnApostropheStartsAPiece() {
    assertThat(split("it's we're i'm they'll he'd we've don't 'x ''s rock'n'roll"))
        .containsExactly(
            "it", "'s", "we", "'re", "i", "'m", "they", "'ll", "he", "'d", "we", "'ve", "don", "'t",
            "'", "x", "''", "s", "rock", "'", "n", "'", "roll");
  }

  @Test
  void split_longS_foldsToSInContractionsAndSpecialTokens() {
    assertThat(split("it'\u017F <|\u017Ftartoftext|>"))
        .containsExactly("it", "'\u017F", "<|\u017Ftartoftext|>");
  }

  @Test
  void split_specialTokens_areRecognizedOnlyAtThePieceStart() {
    assertThat(split("<|startoftext|>a<|endoftext|> .<|endoftext|> <|endoftext|"))
        .containsExactly("[SOT]", "a", "[EOT]", ".<|", "endoftext", "|>", "<|", "endoftext", "|");
  }

  @Test
  void split_combiningYpogegrammeni_matchesNoBranchAndIsSkipped() {
    assertThat(split("a\u0345b !\u0345! \u0345")).containsExactly("a", "b", "!", "!");
  }

  @Test
  void split_emojiAndMarks_formOnePunctuationRun() {
    assertThat(split("\uD83D\uDC4D\uD83C\uDFFD\u200D! a\u0301"))
        .containsExactly("\uD83D\uDC4D\uD83C\uDFFD\u200D!", "a", "\u0301");
  }
}
