package t2i.clip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClipTokenizerTest {

  private final ClipTokenizer tokenizer = ReferenceFiles.openAiTokenizer();

  @Test
  void tokenize_words_reportPiecesBytesAndWordEnds() {
    List<Token> tokens = tokenizer.tokenize("Tokenization café");

    assertThat(tokens).extracting(Token::piece).containsExactly("token", "ization", "cafÃ©");
    assertThat(tokens).extracting(Token::endOfWord).containsExactly(false, true, true);
    assertThat(tokens).extracting(Token::text).containsExactly("token", "ization", "café");
    assertThat(tokens.get(2).bytes()).isEqualTo("café".getBytes(StandardCharsets.UTF_8));
    assertThat(tokens.stream().mapToInt(Token::id).toArray())
        .containsExactly(tokenizer.encode("Tokenization café"));
  }

  @Test
  void tokenize_specialTokenInText_isReportedWithItsLiteral() {
    List<Token> tokens = tokenizer.tokenize("<|startoftext|>cat");

    assertThat(tokens)
        .containsExactly(
            new Token(tokenizer.startOfTextId(), "<|startoftext|>", false),
            new Token(tokenizer.idOf("cat</w>").getAsInt(), "cat", true));
  }

  @Test
  void tokenize_characterSplitAcrossTokens_showsReplacementInText() {
    List<Token> tokens = tokenizer.tokenize("\uD83E\uDEE8");

    assertThat(tokens).hasSizeGreaterThan(1);
    assertThat(tokens.get(0).text()).contains("\uFFFD");
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    tokens.forEach(token -> all.writeBytes(token.bytes()));
    assertThat(all.toString(StandardCharsets.UTF_8)).isEqualTo("\uD83E\uDEE8");
  }

  @Test
  void decode_ids_rebuildsCleanedTextWithWordSpaces() {
    assertThat(tokenizer.decode(tokenizer.encode("A Photo of  a CAT, café!")))
        .isEqualTo("a photo of a cat , café ! ");
    assertThat(tokenizer.decode(new int[] {tokenizer.startOfTextId(), tokenizer.endOfTextId()}))
        .isEqualTo("<|startoftext|><|endoftext|>");
  }

  @Test
  void decode_idOutsideVocabulary_failsNamingTheId() {
    assertThatThrownBy(() -> tokenizer.decode(new int[] {1, 49408}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("49408");
  }

  @Test
  void encode_emptyAndWhitespaceOnly_giveNoIds() {
    assertThat(tokenizer.encode("")).isEmpty();
    assertThat(tokenizer.encode(" \t\n\u00A0\u3000")).isEmpty();
  }

  @Test
  void encode_asciiFastPath_agreesWithFullPipeline() {
    String prompt = "A Photo of an ASTRONAUT riding a horse, 4K\r\n\tit's <|endoftext|>";

    byte[] fast = TextCleaner.cleanToUtf8(prompt);

    assertThat(new String(fast, StandardCharsets.US_ASCII).trim().replaceAll("\\s+", " "))
        .isEqualTo(TextCleaner.clean(prompt));
    assertThat(TextCleaner.clean(prompt))
        .isEqualTo("a photo of an astronaut riding a horse, 4k it's <|endoftext|>");
  }
}
