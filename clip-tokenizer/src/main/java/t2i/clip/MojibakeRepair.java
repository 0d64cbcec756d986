package t2i.clip;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * ftfy's {@code fix_encoding} with its default configuration: detect UTF-8 that was decoded in a
 * single-byte code page and decode it again, including its sub-steps {@code restore_byte_a0},
 * {@code replace_lossy_sequences}, {@code decode_inconsistent_utf8} and {@code fix_c1_controls}.
 * Stateless.
 */
final class MojibakeRepair {

  /** Bound on repair rounds; ftfy itself loops until nothing changes. */
  static final int MAX_ROUNDS = 100;

  /**
   * Byte sequences that would be UTF-8 if a space were the byte A0 it replaced (ftfy's {@code
   * ALTERED_UTF8_RE}).
   */
  private static final BytePattern ALTERED_UTF8 =
      BytePattern.of(
          new String[] {"\u00C2\u00C3\u00C5\u00CE\u00D0\u00D9", " "},
          new String[] {"\u00E2\u00E3", " ", "\u0080-\u0084\u0086-\u009F\u00A1-\u00BF"},
          new String[] {"\u00E0-\u00E3", "\u0080-\u0084\u0086-\u009F\u00A1-\u00BF", " "},
          new String[] {"\u00F0", " ", "\u0080-\u00BF", "\u0080-\u00BF"},
          new String[] {"\u00F0", "\u0080-\u00BF", " ", "\u0080-\u00BF"},
          new String[] {"\u00F0", "\u0080-\u00BF", "\u0080-\u00BF", " "});

  /**
   * UTF-8 sequences in which a sloppy codec's 0x1A (for U+FFFD) or a '?' replaced bytes (ftfy's
   * {@code LOSSY_UTF8_RE}).
   */
  private static final BytePattern LOSSY_UTF8 =
      BytePattern.of(
          new String[] {"\u00C2-\u00DF", "\u001A"},
          new String[] {"\u00C2-\u00C3", "?"},
          new String[] {
            "\u00ED", "\u00A0-\u00AF", "\u001A?", "\u00ED", "\u00B0-\u00BF", "\u001A?\u0080-\u00BF"
          },
          new String[] {
            "\u00ED", "\u00A0-\u00AF", "\u001A?\u0080-\u00BF", "\u00ED", "\u00B0-\u00BF", "\u001A?"
          },
          new String[] {"\u00E0-\u00EF", "\u001A?", "\u001A\u0080-\u00BF"},
          new String[] {"\u00E0-\u00EF", "\u001A\u0080-\u00BF", "\u001A?"},
          new String[] {"\u00F0-\u00F4", "\u001A?", "\u001A\u0080-\u00BF", "\u001A\u0080-\u00BF"},
          new String[] {"\u00F0-\u00F4", "\u001A\u0080-\u00BF", "\u001A?", "\u001A\u0080-\u00BF"},
          new String[] {"\u00F0-\u00F4", "\u001A\u0080-\u00BF", "\u001A\u0080-\u00BF", "\u001A?"},
          new String[] {"\u001A"});

  private static final byte[] UTF8_REPLACEMENT = {(byte) 0xEF, (byte) 0xBF, (byte) 0xBD};

  private MojibakeRepair() {}

  /** ftfy's {@code fix_encoding(text)}: repair rounds until the text stops changing. */
  static String fixEncoding(String text) {
    for (int round = 0; round < MAX_ROUNDS; round++) {
      String fixed = fixOneStep(text);
      if (fixed.equals(text)) {
        return text;
      }
      text = fixed;
    }
    return text;
  }

  private static String fixOneStep(String text) {
    if (text.isEmpty() || isAscii(text) || !MojibakeHeuristics.isBad(text)) {
      return text;
    }
    List<SingleByteCodec> possible = new ArrayList<>(4);
    for (SingleByteCodec codec : SingleByteCodec.MOJIBAKE_CANDIDATES) {
      if (!codec.canEncode(text)) {
        continue;
      }
      possible.add(codec);
      byte[] bytes = codec.encode(text);
      if (codec != SingleByteCodec.MACROMAN && ALTERED_UTF8.search(bytes)) {
        bytes = restoreByteA0(bytes);
      }
      if (codec.isSloppy()) {
        bytes = LOSSY_UTF8.replaceAll(bytes, (b, s, e, out) -> out.writeBytes(UTF8_REPLACEMENT));
      }
      String decoded =
          contains(bytes, 0xED) || contains(bytes, 0xC0)
              ? Utf8.decodeVariants(bytes)
              : Utf8.decodeStrict(bytes);
      if (decoded != null) {
        return decoded;
      }
    }

    int[] cps = MojibakeHeuristics.codePoints(text);
    if (MojibakeHeuristics.hasUtf8Mojibake(cps)) {
      String fixed = decodeInconsistentUtf8(text, cps);
      if (!fixed.equals(text)) {
        return fixed;
      }
    }

    // ftfy checks for "windows-1252" among the possible codecs, which only ever holds its sloppy
    // variant, so Latin-1 text is always re-read as strict Windows-1252 here.
    if (possible.contains(SingleByteCodec.LATIN_1)) {
      String fixed = SingleByteCodec.WINDOWS_1252.decode(SingleByteCodec.LATIN_1.encode(text));
      if (fixed != null && !fixed.equals(text)) {
        return fixed;
      }
    }
    if (hasC1Control(text)) {
      return fixC1Controls(text);
    }
    return text;
  }

  /**
   * ftfy's {@code restore_byte_a0}: puts back A0 bytes that became spaces inside would-be UTF-8,
   * after first turning "Ã " into "à " unless a Portuguese contraction or another space follows.
   */
  static byte[] restoreByteA0(byte[] bytes) {
    ByteArrayOutputStream withAGrave = new ByteArrayOutputStream(bytes.length + 8);
    for (int i = 0; i < bytes.length; i++) {
      withAGrave.write(bytes[i]);
      if ((bytes[i] & 0xFF) == 0xC3
          && i + 1 < bytes.length
          && bytes[i + 1] == ' '
          && !startsWithAny(bytes, i + 2, " ", "quele", "quela", "quilo", "s ")) {
        withAGrave.write(0xA0);
        withAGrave.write(' ');
        i++;
      }
    }
    return ALTERED_UTF8.replaceAll(
        withAGrave.toByteArray(),
        (b, start, end, out) -> {
          for (int i = start; i < end; i++) {
            out.write(b[i] == ' ' ? 0xA0 : b[i]);
          }
        });
  }

  private static boolean startsWithAny(byte[] bytes, int at, String... prefixes) {
    for (String prefix : prefixes) {
      if (at + prefix.length() <= bytes.length) {
        boolean match = true;
        for (int k = 0; k < prefix.length() && match; k++) {
          match = bytes[at + k] == prefix.charAt(k);
        }
        if (match) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * ftfy's {@code decode_inconsistent_utf8}: repairs each UTF-8-looking run on its own when it is
   * shorter than the whole text and looks bad by itself.
   */
  private static String decodeInconsistentUtf8(String text, int[] cps) {
    StringBuilder out = new StringBuilder(text.length());
    int offset = 0;
    for (int i = 0; i < cps.length; ) {
      int end = MojibakeHeuristics.utf8MojibakeEnd(cps, i);
      if (end < 0) {
        out.appendCodePoint(cps[i]);
        offset += Character.charCount(cps[i]);
        i++;
        continue;
      }
      int endOffset = offset;
      for (int k = i; k < end; k++) {
        endOffset += Character.charCount(cps[k]);
      }
      String run = text.substring(offset, endOffset);
      if (run.length() < text.length() && MojibakeHeuristics.isBad(run)) {
        out.append(fixEncoding(run));
      } else {
        out.append(run);
      }
      offset = endOffset;
      i = end;
    }
    return out.toString();
  }

  /** ftfy's {@code fix_c1_controls}: C1 controls read as sloppy Windows-1252. */
  static String fixC1Controls(String text) {
    if (!hasC1Control(text)) {
      return text;
    }
    char[] chars = text.toCharArray();
    for (int i = 0; i < chars.length; i++) {
      if (chars[i] >= 0x80 && chars[i] <= 0x9F) {
        chars[i] = SingleByteCodec.SLOPPY_WINDOWS_1252.decodeByte(chars[i]);
      }
    }
    return new String(chars);
  }

  private static boolean hasC1Control(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= 0x80 && c <= 0x9F) {
        return true;
      }
    }
    return false;
  }

  private static boolean isAscii(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  private static boolean contains(byte[] bytes, int value) {
    for (byte b : bytes) {
      if ((b & 0xFF) == value) {
        return true;
      }
    }
    return false;
  }
}
