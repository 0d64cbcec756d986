package t2i.clip;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Verdicts are those of ftfy 6.3.1's is_bad. */
class MojibakeHeuristicsTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "s\u00C3\u00B3",
        "\u00E2\u0153\u201D",
        "\u0093quoted\u0094",
        "P\u00C3\u00A9rez",
        "\u00C3 la",
        "voil\u00C3 le",
        "\u0432\u0402\u045A",
        "\u221A\u00A9",
        "\u0152 "
      })
  void isBad_typicalMojibake_isBad(String text) {
    assertThat(MojibakeHeuristics.isBad(text)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "na\u00EFve caf\u00E9",
        "\u00C0 la mode",
        "\u0152uvre",
        "\u65E5\u672C\u8A9E",
        "\u2014 \u201Cquoted\u201D \u2026",
        "plain ascii",
        "\u00D7 2"
      })
  void isBad_ordinaryText_isNotBad(String text) {
    assertThat(MojibakeHeuristics.isBad(text)).isFalse();
  }
}
