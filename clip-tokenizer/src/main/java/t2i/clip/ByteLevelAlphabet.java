package t2i.clip;

import java.util.Arrays;

/**
 * CLIP's {@code bytes_to_unicode}: each byte value has one printable character that stands for it
 * in vocabulary entries. Printable Latin-1 bytes stand for themselves; the other 68 byte values map
 * in order to U+0100..U+0143. Stateless.
 */
final class ByteLevelAlphabet {

  private static final char[] BYTE_TO_CHAR = new char[256];
  private static final int[] CHAR_TO_BYTE = new int[0x144];

  static {
    int next = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      BYTE_TO_CHAR[b] = printable ? (char) b : (char) (0x100 + next++);
    }
    Arrays.fill(CHAR_TO_BYTE, -1);
    for (int b = 0; b < 256; b++) {
      CHAR_TO_BYTE[BYTE_TO_CHAR[b]] = b;
    }
  }

  private ByteLevelAlphabet() {}

  /**
   * The 256 characters in the order of the reference's table: the printable bytes first, then the
   * others, which is the order of the first vocabulary ids.
   */
  static char[] charsInTableOrder() {
    char[] chars = new char[256];
    int next = 0;
    for (int b = 0; b < 256; b++) {
      if (BYTE_TO_CHAR[b] == b) {
        chars[next++] = (char) b;
      }
    }
    for (int b = 0; b < 256; b++) {
      if (BYTE_TO_CHAR[b] != b) {
        chars[next++] = BYTE_TO_CHAR[b];
      }
    }
    return chars;
  }

  /** The character that stands for a byte (0..255). */
  static char charOf(int b) {
    return BYTE_TO_CHAR[b & 0xFF];
  }

  /** The byte a character stands for, or -1 when it is not in the alphabet. */
  static int byteOf(char c) {
    return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
  }

  /** The vocabulary spelling of UTF-8 bytes. */
  static String encode(byte[] bytes, int start, int end) {
    char[] chars = new char[end - start];
    for (int i = start; i < end; i++) {
      chars[i - start] = charOf(bytes[i]);
    }
    return new String(chars);
  }
}
