package t2i.clip;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class Utf8Test {

  private static byte[] bytes(int... values) {
    byte[] bytes = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      bytes[i] = (byte) values[i];
    }
    return bytes;
  }

  @Test
  void decodeStrict_rejectsWhatPythonRejects() {
    assertThat(Utf8.decodeStrict(bytes(0xC3, 0xA9))).isEqualTo("\u00E9");
    assertThat(Utf8.decodeStrict(bytes(0xF0, 0x9F, 0x98, 0x80))).isEqualTo("\uD83D\uDE00");
    assertThat(Utf8.decodeStrict(bytes(0xC0, 0x80))).isNull();
    assertThat(Utf8.decodeStrict(bytes(0xE0, 0x80, 0x80))).isNull();
    assertThat(Utf8.decodeStrict(bytes(0xED, 0xA0, 0x80))).isNull();
    assertThat(Utf8.decodeStrict(bytes(0xF4, 0x90, 0x80, 0x80))).isNull();
    assertThat(Utf8.decodeStrict(bytes(0xE2, 0x82))).isNull();
  }

  @Test
  void decodeVariants_acceptsJavaNullAndCesu8Pairs() {
    assertThat(Utf8.decodeVariants(bytes('a', 0xC0, 0x80, 'b'))).isEqualTo("a\u0000b");
    assertThat(Utf8.decodeVariants(bytes(0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80, '!')))
        .isEqualTo("\uD83D\uDE00!");
    assertThat(Utf8.decodeVariants(bytes(0xED, 0xA0, 0xBD, '!'))).isNull();
    assertThat(Utf8.decodeVariants(bytes(0xED, 0x95, 0x9C))).isEqualTo("\uD55C");
  }

  @Test
  void decodeVariants_patternEndMatchesBeforeFinalNewlineAsInPython() {
    // Python's `$` also matches before a final newline, so these consume the newline.
    assertThat(Utf8.decodeVariants(bytes('x', 0xC0, '\n'))).isEqualTo("x\u0000");
    assertThat(Utf8.decodeVariants(bytes(0xED, 0xA0, 0xBD, 0xED, 0xB8, '\n')))
        .isEqualTo(new String(Character.toChars(0x1F60A)));
  }

  @Test
  void encode_loneSurrogate_becomesReplacementCharacter() {
    assertThat(Utf8.encode("a\uD800\uD83D\uDE00"))
        .containsExactly(bytes('a', 0xEF, 0xBF, 0xBD, 0xF0, 0x9F, 0x98, 0x80));
  }
}
