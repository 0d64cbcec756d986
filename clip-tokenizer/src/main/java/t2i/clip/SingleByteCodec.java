package t2i.clip;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The single-byte codecs ftfy tries when it looks for mojibake, with Python's byte tables (read
 * from {@code charmaps.txt}) and ftfy's "sloppy" variants: a byte the Windows code page leaves
 * undefined decodes to the Latin-1 character of the same number, and byte 0x1A stands for U+FFFD.
 * Immutable and thread-safe.
 */
final class SingleByteCodec {

  private static final char REPLACEMENT = '\uFFFD';

  private final String name;
  private final char[] decodeTable;
  private final char[] encodableChars;
  private final byte[] encodedBytes;
  private final boolean sloppy;

  private SingleByteCodec(String name, char[] decodeTable, boolean sloppy) {
    this.name = name;
    this.decodeTable = decodeTable;
    this.sloppy = sloppy;
    Integer[] order = new Integer[256];
    for (int b = 0; b < 256; b++) {
      order[b] = b;
    }
    Arrays.sort(order, (x, y) -> Character.compare(decodeTable[x], decodeTable[y]));
    int count = 0;
    char[] chars = new char[256];
    byte[] bytes = new byte[256];
    for (int b : order) {
      char c = decodeTable[b];
      if (c == REPLACEMENT && !(sloppy && b == 0x1A)) {
        continue;
      }
      if (count > 0 && chars[count - 1] == c) {
        throw new IllegalStateException(name + " decodes two bytes to U+" + Integer.toHexString(c));
      }
      chars[count] = c;
      bytes[count] = (byte) b;
      count++;
    }
    encodableChars = Arrays.copyOf(chars, count);
    encodedBytes = Arrays.copyOf(bytes, count);
  }

  static final SingleByteCodec LATIN_1;
  static final SingleByteCodec WINDOWS_1252;
  static final SingleByteCodec SLOPPY_WINDOWS_1252;
  static final SingleByteCodec MACROMAN;

  /** ftfy's {@code CHARMAP_ENCODINGS}, in the order ftfy tries them. */
  static final List<SingleByteCodec> MOJIBAKE_CANDIDATES;

  /** What Python's {@code html.unescape} makes of numeric references 0x80..0x9F. */
  static final char[] WINDOWS_1252_HTML;

  static {
    Map<String, String> tables = UnicodeData.readTable("charmaps.txt");
    LATIN_1 = strict(tables, "latin-1");
    WINDOWS_1252 = strict(tables, "windows-1252");
    SLOPPY_WINDOWS_1252 = sloppy(tables, "windows-1252");
    MACROMAN = strict(tables, "macroman");
    MOJIBAKE_CANDIDATES =
        List.of(
            LATIN_1,
            SLOPPY_WINDOWS_1252,
            sloppy(tables, "windows-1251"),
            sloppy(tables, "windows-1250"),
            sloppy(tables, "windows-1253"),
            sloppy(tables, "windows-1254"),
            sloppy(tables, "windows-1257"),
            strict(tables, "iso-8859-2"),
            MACROMAN,
            strict(tables, "cp437"));
    WINDOWS_1252_HTML = Arrays.copyOfRange(SLOPPY_WINDOWS_1252.decodeTable, 0x80, 0xA0);
  }

  private static char[] table(Map<String, String> tables, String name) {
    String line = tables.get(name);
    if (line == null) {
      throw new IllegalStateException("charmaps.txt has no codec '" + name + "'");
    }
    String[] hex = line.split(" ", -1);
    if (hex.length != 256) {
      throw new IllegalStateException("charmaps.txt: " + name + " has " + hex.length + " bytes");
    }
    char[] table = new char[256];
    for (int b = 0; b < 256; b++) {
      table[b] = (char) Integer.parseInt(hex[b], 16);
    }
    return table;
  }

  private static SingleByteCodec strict(Map<String, String> tables, String name) {
    return new SingleByteCodec(name, table(tables, name), false);
  }

  private static SingleByteCodec sloppy(Map<String, String> tables, String name) {
    char[] table = table(tables, name);
    for (int b = 0; b < 256; b++) {
      if (table[b] == REPLACEMENT) {
        table[b] = (char) b;
      }
    }
    table[0x1A] = REPLACEMENT;
    return new SingleByteCodec("sloppy-" + name, table, true);
  }

  String name() {
    return name;
  }

  boolean isSloppy() {
    return sloppy;
  }

  /** Whether every code point of the text has a byte in this codec. */
  boolean canEncode(CharSequence text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isSurrogate(c) || byteOf(c) < 0) {
        return false;
      }
    }
    return true;
  }

  /** Encodes text for which {@link #canEncode} holds. */
  byte[] encode(CharSequence text) {
    byte[] out = new byte[text.length()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (byte) byteOf(text.charAt(i));
    }
    return out;
  }

  /** Decodes bytes; returns {@code null} when a byte is undefined in this (strict) codec. */
  @Nullable String decode(byte[] bytes) {
    char[] out = new char[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      char c = decodeTable[bytes[i] & 0xFF];
      if (c == REPLACEMENT && !(sloppy && (bytes[i] & 0xFF) == 0x1A)) {
        return null;
      }
      out[i] = c;
    }
    return new String(out);
  }

  /** Decodes one byte value (0..255); U+FFFD where a strict codec leaves it undefined. */
  char decodeByte(int b) {
    return decodeTable[b];
  }

  private int byteOf(char c) {
    if (c < 0x80 && !(sloppy && c == 0x1A)) {
      return c;
    }
    int index = Arrays.binarySearch(encodableChars, c);
    return index >= 0 ? encodedBytes[index] & 0xFF : -1;
  }

  @Override
  public String toString() {
    return name;
  }
}
