package t2i.clip;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Expected values are what Python 3.11 returns. */
class PythonTextTest {

  @Test
  void isSpace_matchesPythonStrIsspaceExactly() {
    int[] spaces =
        IntStream.rangeClosed(0, Character.MAX_CODE_POINT).filter(PythonText::isSpace).toArray();

    assertThat(spaces)
        .containsExactly(
            0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680, 0x2000,
            0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A, 0x2028,
            0x2029, 0x202F, 0x205F, 0x3000);
  }

  @Test
  void collapseWhitespace_usesRegexModuleSpaceWhichExcludesInformationSeparators() {
    assertThat(PythonText.collapseWhitespace("a\u00A0\u3000b\t\n c\u001Cd\u180Ee\u200Bf"))
        .isEqualTo("a b c\u001Cd\u180Ee\u200Bf");
  }

  @Test
  void strip_removesPythonWhitespaceIncludingInformationSeparators() {
    assertThat(PythonText.strip("\u001C\u2029 x \u00A0\u001F")).isEqualTo("x");
    assertThat(PythonText.strip("\u200B x \u180E")).isEqualTo("\u200B x \u180E");
  }

  @ParameterizedTest
  @CsvSource({
    "İ, i\u0307",
    "ẞ, ß",
    "Ꭰ, \uAB70",
    "Ა, ა",
    "ǅ, ǆ",
    "Ω, ω",
    "K, k",
    "Å, å",
    "ſ, ſ",
    "\uD801\uDC00, \uD801\uDC28",
    "\uD83A\uDD00, \uD83A\uDD22",
  })
  void lower_specialMappings_matchPython(String upper, String lower) {
    assertThat(PythonText.lower(upper)).isEqualTo(lower);
  }

  @ParameterizedTest
  @CsvSource(
      quoteCharacter = '"',
      value = {
        "ΑΣ, ας",
        "ΑΣΑ, ασα",
        "Σ, σ",
        "ΑΣ., ας.",
        "Α.Σ, α.ς",
        "ΑΣ'Α, ασ'α",
        "Α\u0301Σ, α\u0301ς",
        "ΟΔΥΣΣΕΥΣ, οδυσσευς",
        "Σ\u0301Α, σ\u0301α",
      })
  void lower_capitalSigma_followsPythonFinalSigmaRule(String upper, String lower) {
    assertThat(PythonText.lower(upper)).isEqualTo(lower);
  }

  @Test
  void nfc_composesAssignedCharacters() {
    assertThat(PythonText.nfc("e\u0301 a\u0323\u0302 \u1100\u1161\u11A8"))
        .isEqualTo("\u00E9 \u1EAD \uAC01");
  }

  @Test
  void nfc_codePointUnassignedInPythonUnicode_isLeftAsAStarter() {
    // U+1E4EC (Unicode 15) is a combining mark for the JDK but unassigned for Python 3.11.
    String text = "a\uD839\uDCEC\u0301";

    assertThat(PythonText.nfc(text)).isEqualTo(text);
    assertThat(PythonText.isNfc(text)).isTrue();
  }

  @Test
  void nfc_longRunOfCombiningMarks_isOrderedCanonically() {
    String marks = "\u0301\u0323".repeat(100);
    String expected = "\u1EA1" + "\u0323".repeat(99) + "\u0301".repeat(100);

    assertThat(PythonText.nfc("a" + marks)).isEqualTo(expected);
    assertThat(PythonText.isNfc("a" + marks)).isFalse();
  }
}
