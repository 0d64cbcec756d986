package t2i.clip;

import org.jspecify.annotations.Nullable;

/**
 * UTF-8 as the reference uses it: Python's strict decoder, ftfy's {@code utf-8-variants} decoder
 * (CESU-8 surrogate pairs and Java's two-byte NUL), and an encoder. Stateless.
 */
final class Utf8 {

  private Utf8() {}

  /** Python's strict {@code bytes.decode('utf-8')}; {@code null} where Python raises an error. */
  static @Nullable String decodeStrict(byte[] bytes) {
    StringBuilder out = new StringBuilder(bytes.length);
    return decodeStrictInto(bytes, 0, bytes.length, out) ? out.toString() : null;
  }

  private static boolean decodeStrictInto(byte[] bytes, int from, int to, StringBuilder out) {
    int i = from;
    while (i < to) {
      int b0 = bytes[i] & 0xFF;
      if (b0 < 0x80) {
        out.append((char) b0);
        i++;
        continue;
      }
      int length;
      int min;
      int max = 0xBF;
      if (b0 >= 0xC2 && b0 <= 0xDF) {
        length = 2;
        min = 0x80;
      } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        length = 3;
        min = b0 == 0xE0 ? 0xA0 : 0x80;
        max = b0 == 0xED ? 0x9F : 0xBF;
      } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        length = 4;
        min = b0 == 0xF0 ? 0x90 : 0x80;
        max = b0 == 0xF4 ? 0x8F : 0xBF;
      } else {
        return false;
      }
      if (i + length > to) {
        return false;
      }
      int b1 = bytes[i + 1] & 0xFF;
      if (b1 < min || b1 > max) {
        return false;
      }
      int cp = b0 & (0xFF >> (length + 1));
      cp = (cp << 6) | (b1 & 0x3F);
      for (int k = 2; k < length; k++) {
        int bk = bytes[i + k] & 0xFF;
        if (bk < 0x80 || bk > 0xBF) {
          return false;
        }
        cp = (cp << 6) | (bk & 0x3F);
      }
      out.appendCodePoint(cp);
      i += length;
    }
    return true;
  }

  /**
   * ftfy's {@code utf-8-variants} decoder; {@code null} where it raises an error. Besides standard
   * UTF-8 it accepts C0 80 as U+0000 and six-byte CESU-8 surrogate pairs. Like its Python original,
   * a pattern element that may also match at the end of input matches before a final newline byte
   * as well, which this reproduces.
   */
  static @Nullable String decodeVariants(byte[] bytes) {
    int n = bytes.length;
    StringBuilder out = new StringBuilder(n);
    int pos = 0;
    while (pos < n) {
      int special = findSpecial(bytes, pos);
      if (special < 0) {
        return decodeStrictInto(bytes, pos, n, out) ? out.toString() : null;
      }
      if (special > pos) {
        if (!decodeStrictInto(bytes, pos, special, out)) {
          return null;
        }
        pos = special;
        continue;
      }
      if ((bytes[pos] & 0xFF) == 0xC0) {
        if (n - pos < 2) {
          return null;
        }
        out.append('\0');
        pos += 2;
      } else if (n - pos >= 6 && matchesCesu8(bytes, pos)) {
        int cp =
            ((bytes[pos + 1] & 0x0F) << 16)
                + ((bytes[pos + 2] & 0x3F) << 10)
                + ((bytes[pos + 4] & 0x0F) << 6)
                + (bytes[pos + 5] & 0x3F)
                + 0x10000;
        out.appendCodePoint(cp);
        pos += 6;
      } else {
        // An encoded lone surrogate, or one cut short: an error in every case.
        return null;
      }
    }
    return out.toString();
  }

  /** First index at or after {@code from} where a NUL, CESU-8 or surrogate pattern matches. */
  private static int findSpecial(byte[] bytes, int from) {
    for (int i = from; i < bytes.length; i++) {
      int b = bytes[i] & 0xFF;
      if (b == 0xC0 && elementAt(bytes, i + 1, 0x80, 0x80) >= 0) {
        return i;
      }
      if (b == 0xED && (matchesCesu8(bytes, i) || matchesSurrogate(bytes, i))) {
        return i;
      }
    }
    return -1;
  }

  /** The byte ranges after ED in {@code ED [A0-AF] [80-BF] ED [B0-BF] [80-BF]}. */
  private static final int[][] CESU8_TAIL = {
    {0xA0, 0xAF}, {0x80, 0xBF}, {0xED, 0xED}, {0xB0, 0xBF}, {0x80, 0xBF}
  };

  private static boolean matchesCesu8(byte[] bytes, int at) {
    int p = at + 1;
    for (int[] element : CESU8_TAIL) {
      p = elementAt(bytes, p, element[0], element[1]);
      if (p < 0) {
        return false;
      }
    }
    return true;
  }

  private static boolean matchesSurrogate(byte[] bytes, int at) {
    int p = elementAt(bytes, at + 1, 0xA0, 0xBF);
    return p >= 0 && elementAt(bytes, p, 0x80, 0xBF) >= 0;
  }

  /**
   * Matches {@code ([lo-hi]|$)} at {@code p}: returns the next position, or -1. Python's {@code $}
   * matches at the end and before a newline that ends the input.
   */
  private static int elementAt(byte[] bytes, int p, int lo, int hi) {
    if (p < bytes.length) {
      int b = bytes[p] & 0xFF;
      if (b >= lo && b <= hi) {
        return p + 1;
      }
    }
    boolean atEnd = p == bytes.length || (p == bytes.length - 1 && bytes[p] == '\n');
    return atEnd ? p : -1;
  }

  /** UTF-8 bytes of the text; a lone surrogate, which cleaned text never holds, as U+FFFD. */
  static byte[] encode(String text) {
    byte[] out = new byte[utf8Length(text)];
    int n = 0;
    for (int i = 0; i < text.length(); i++) {
      int cp = text.charAt(i);
      if (Character.isHighSurrogate((char) cp)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        cp = Character.toCodePoint((char) cp, text.charAt(++i));
      } else if (Character.isSurrogate((char) cp)) {
        cp = 0xFFFD;
      }
      n = put(out, n, cp);
    }
    return out;
  }

  private static int utf8Length(String text) {
    int length = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        length += 1;
      } else if (c < 0x800) {
        length += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        length += 4;
        i++;
      } else {
        length += 3;
      }
    }
    return length;
  }

  /** Writes one code point at {@code n}; returns the position after it. */
  static int put(byte[] out, int n, int cp) {
    if (cp < 0x80) {
      out[n++] = (byte) cp;
    } else if (cp < 0x800) {
      out[n++] = (byte) (0xC0 | (cp >> 6));
      out[n++] = (byte) (0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out[n++] = (byte) (0xE0 | (cp >> 12));
      out[n++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
      out[n++] = (byte) (0x80 | (cp & 0x3F));
    } else {
      out[n++] = (byte) (0xF0 | (cp >> 18));
      out[n++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
      out[n++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
      out[n++] = (byte) (0x80 | (cp & 0x3F));
    }
    return n;
  }

  /** Decodes the code point starting at {@code i} of valid UTF-8. */
  static int codePointAt(byte[] bytes, int i) {
    int b0 = bytes[i] & 0xFF;
    if (b0 < 0x80) {
      return b0;
    }
    if (b0 < 0xE0) {
      return ((b0 & 0x1F) << 6) | (bytes[i + 1] & 0x3F);
    }
    if (b0 < 0xF0) {
      return ((b0 & 0x0F) << 12) | ((bytes[i + 1] & 0x3F) << 6) | (bytes[i + 2] & 0x3F);
    }
    return ((b0 & 0x07) << 18)
        | ((bytes[i + 1] & 0x3F) << 12)
        | ((bytes[i + 2] & 0x3F) << 6)
        | (bytes[i + 3] & 0x3F);
  }

  /** Length of the UTF-8 sequence that a lead byte starts. */
  static int sequenceLength(byte lead) {
    int b = lead & 0xFF;
    return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
  }
}
