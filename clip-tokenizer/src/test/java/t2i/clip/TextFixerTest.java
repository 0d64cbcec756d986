package t2i.clip;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Expected values are what ftfy 6.3.1's fix_text returns. */
class TextFixerTest {

  static Stream<Arguments> fixText_mojibake_isRepairedAsFtfyDoesCases() {
    return Stream.of(
        Arguments.of("\u00E2\u0153\u201D No problems", "\u2714 No problems"),
        Arguments.of("s\u00C3\u00B3", "s\u00F3"),
        Arguments.of("sch\u00C3\u00B6n", "sch\u00F6n"),
        Arguments.of("voil\u00C3  le travail", "voil\u00E0 le travail"),
        Arguments.of("voil\u00C3 le travail", "voil\u00E0 le travail"),
        Arguments.of("\u00C3 la mode", "\u00E0 la mode"),
        Arguments.of("&macr;\\_(\u00E3\u0083\u0084)_/&macr;", "\u00AF\\_(\u30C4)_/\u00AF"),
        Arguments.of("\u00E2\u20AC\u0153 like this \u00E2\u20AC\uFFFD", "\" like this \uFFFD"),
        Arguments.of("\u00C3\u00A2\u00E2\u201A\u00AC\u00E2\u201E\u00A2", "'"),
        Arguments.of("\u00C3\u0192\u00C2\u00A9", "\u00E9"),
        Arguments.of(
            "\u0420\u045E\u0420\u00B5\u0421\u0403\u0421\u201A", "\u0422\u0435\u0441\u0442"),
        Arguments.of("l\u2019\u00C3\u00A9t\u00C3\u00A9", "l'\u00E9t\u00E9"),
        Arguments.of("ABC\u00C3\u0080DEF", "ABC\u00C0DEF"),
        Arguments.of("\u0093quoted\u0094", "\"quoted\""),
        Arguments.of("broken\u0081", "broken\u0081"),
        Arguments.of("na\u00EFve caf\u00E9", "na\u00EFve caf\u00E9"),
        Arguments.of("\u00C0 la mode", "\u00C0 la mode"));
  }

  @ParameterizedTest
  @MethodSource("fixText_mojibake_isRepairedAsFtfyDoesCases")
  void fixText_mojibake_isRepairedAsFtfyDoes(String broken, String fixed) {
    assertThat(TextFixer.fixText(broken)).isEqualTo(fixed);
  }

  @Test
  void fixText_htmlEntities_areKeptFromTheFirstLineWithATagOn() {
    assertThat(TextFixer.fixText("&amp;\n<html>\n&amp;")).isEqualTo("&\n<html>\n&amp;");
    assertThat(TextFixer.fixText("&amp;amp;amp; &lt;b&gt;")).isEqualTo("& <b>");
  }

  @Test
  void fixText_ftfyDocumentationExamples_matchFtfy() {
    assertThat(TextFixer.fixText("Broken text&hellip; it&#x2019;s \uFB02ubberi\uFB01c!"))
        .isEqualTo("Broken text\u2026 it's flubberific!");
    assertThat(
            TextFixer.fixText("\uFF2C\uFF2F\uFF35\uFF24\u3000\uFF2E\uFF2F\uFF29\uFF33\uFF25\uFF33"))
        .isEqualTo("LOUD NOISES");
    assertThat(TextFixer.fixText("\uFF73\uFF80\uFF70\uFF9D")).isEqualTo("\u30A6\u30BF\u30FC\u30F3");
  }

  @Test
  void uncurlQuotes_replacesCurlySingleAndDoubleQuotes() {
    assertThat(
            TextFixer.uncurlQuotes(
                "\u2018a\u2019 \u201Ab\u201B \u201Cc\u201D \u201Ed\u201F \u02BCn"))
        .isEqualTo("'a' 'b' \"c\" \"d\" 'n");
  }

  @Test
  void fixLatinLigatures_splitsLatinLigaturesAndDigraphs() {
    assertThat(
            TextFixer.fixLatinLigatures(
                "\uFB01 \uFB02 \uFB00 \uFB03 \uFB04 \uFB05 \uFB06 \u0132 \u01C4 \u01C9 \u0149 \u00E6"))
        .isEqualTo("fi fl ff ffi ffl \u017Ft st IJ D\u017D lj \u02BCn \u00E6");
  }

  @Test
  void fixCharacterWidth_mapsFullwidthAndHalfwidthForms() {
    assertThat(TextFixer.fixCharacterWidth("\uFF21\uFF11\uFF01\u3000\uFF5F\uFFE0\uFFE8\uFFA1"))
        .isEqualTo("A1! \u2985\u00A2\u2502\u1100");
  }

  @Test
  void fixLineBreaks_unifiesEveryLineBreakToLineFeed() {
    assertThat(TextFixer.fixLineBreaks("a\r\nb\rc\u2028d\u2029e\u0085f\n\r"))
        .isEqualTo("a\nb\nc\nd\ne\nf\n\n");
  }

  @Test
  void fixSurrogates_replacesOnlyUnpairedSurrogates() {
    assertThat(TextFixer.fixSurrogates("\uD83D\uDE00 \uD800 \uDC00\uD800 x\uDFFF"))
        .isEqualTo("\uD83D\uDE00 \uFFFD \uFFFD\uFFFD x\uFFFD");
  }

  @Test
  void removeTerminalEscapes_removesAnsiSequencesWithUnicodeDigits() {
    assertThat(
            TextFixer.removeTerminalEscapes(
                "\u001B[31mred\u001B[0m \u001B[\u0663m \u001B[x \u001B["))
        .isEqualTo("red   \u001B[");
  }

  @Test
  void removeControlChars_keepsWhitespaceControlsAndJoiners() {
    assertThat(
            TextFixer.removeControlChars(
                "a\u0000\u0007\t\n\u000B\u000C\r\u001F\u007F\u0085\u200D\u206A\uFEFF\uFFFC\uFFFDb"))
        .isEqualTo("a\t\n\u000C\r\u0085\u200D\uFFFDb");
  }

  @Test
  void fixText_c1ControlsAloneInText_becomeWindows1252() {
    assertThat(TextFixer.fixText("\u0080 \u0085 \u0099")).isEqualTo("\u20AC \u2026 \u2122");
  }

  @Test
  void isFixedPoint_plainTextWithAccents_needsNoRound() {
    assertThat(TextFixer.isFixedPoint("na\u00EFve caf\u00E9 \u65E5\u672C", true)).isTrue();
    assertThat(TextFixer.isFixedPoint("caf\u00C3\u00A9", true)).isFalse();
    assertThat(TextFixer.isFixedPoint("a &amp; b", true)).isFalse();
    assertThat(TextFixer.isFixedPoint("a &amp; b", false)).isTrue();
  }
}
