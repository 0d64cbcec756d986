package t2i.clip;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Expected values are what Python's html.unescape and ftfy 6.3.1's unescape_html return. */
class HtmlUnescaperTest {

  static Stream<Arguments> unescape_matchesPythonHtmlUnescapeCases() {
    return Stream.of(
        Arguments.of("&amp", "&"),
        Arguments.of("&ampx", "&x"),
        Arguments.of("&not", "¬"),
        Arguments.of("&notit;", "¬it;"),
        Arguments.of("&notin;", "∉"),
        Arguments.of("&gt", ">"),
        Arguments.of("&lt&gt", "<>"),
        Arguments.of("&nbsp", "\u00A0"),
        Arguments.of("&Amp;", "&Amp;"),
        Arguments.of("&ThickSpace;", "\u205F\u200A"),
        Arguments.of("&NotEqualTilde;", "\u2242\u0338"),
        Arguments.of("&copysr;", "℗"),
        Arguments.of("&#65", "A"),
        Arguments.of("&#x41;", "A"),
        Arguments.of("&#X41", "A"),
        Arguments.of("&#x;", "&#x;"),
        Arguments.of("&#;", "&#;"),
        Arguments.of("&#0;", "\uFFFD"),
        Arguments.of("&#13;", "\r"),
        Arguments.of("&#128;", "€"),
        Arguments.of("&#x9F;", "Ÿ"),
        Arguments.of("&#x81;", "\u0081"),
        Arguments.of("&#x1F;", ""),
        Arguments.of("&#xFDD0;", ""),
        Arguments.of("&#x10FFFF;", ""),
        Arguments.of("&#xD800;", "\uFFFD"),
        Arguments.of("&#1114112;", "\uFFFD"),
        Arguments.of("&#9999999999999;", "\uFFFD"),
        Arguments.of("&#x1F600;", "\uD83D\uDE00"),
        Arguments.of("a & b", "a & b"));
  }

  @ParameterizedTest
  @MethodSource("unescape_matchesPythonHtmlUnescapeCases")
  void unescape_matchesPythonHtmlUnescape(String escaped, String expected) {
    assertThat(HtmlUnescaper.unescape(escaped)).isEqualTo(expected);
  }

  static Stream<Arguments> unescapeFtfy_decodesOnlyTerminatedEntitiesAndUpperCaseNamesCases() {
    return Stream.of(
        Arguments.of("&eacute;", "é"),
        Arguments.of("&EACUTE;", "É"),
        Arguments.of("P&EACUTE;REZ", "PÉREZ"),
        Arguments.of("BUNDESSTRA&SZLIG;E", "BUNDESSTRASSE"),
        Arguments.of("&NTILDE;", "Ñ"),
        Arguments.of("&Ntilde;", "Ñ"),
        Arguments.of("&nTILDE;", "&nTILDE;"),
        Arguments.of("&not", "&not"),
        Arguments.of("&not x", "&not x"),
        Arguments.of("&#20x6;", "&#20x6;"),
        Arguments.of("&#xffff;", ""),
        Arguments.of("&#xffffffff;", "\uFFFD"),
        Arguments.of("&EURO;", "€"),
        Arguments.of("&LT;", "<"),
        Arguments.of("&AMP;", "&"),
        Arguments.of("&FJLIG;", "FJ"),
        Arguments.of("&NAPOS;", "\u02BCN"),
        Arguments.of("&#x80;", "€"),
        Arguments.of("&Jscr;ohn &HilbertSpace;ancock", "\uD835\uDCA5ohn ℋancock"),
        Arguments.of("&aaaaaaaaaaaaaaaaaaaaaaaaa;", "&aaaaaaaaaaaaaaaaaaaaaaaaa;"));
  }

  @ParameterizedTest
  @MethodSource("unescapeFtfy_decodesOnlyTerminatedEntitiesAndUpperCaseNamesCases")
  void unescapeFtfy_decodesOnlyTerminatedEntitiesAndUpperCaseNames(
      String escaped, String expected) {
    assertThat(HtmlUnescaper.unescapeFtfy(escaped)).isEqualTo(expected);
  }
}
