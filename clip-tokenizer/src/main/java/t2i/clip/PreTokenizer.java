package t2i.clip;

/**
 * The reference's word splitter over cleaned UTF-8 text, equivalent to {@code regex.findall} with
 * {@code
 * <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+} and
 * {@code IGNORECASE}: at each position the first branch that matches wins, whitespace and the code
 * points no branch matches are skipped. Case-insensitive matching only matters for 'ſ' (U+017F),
 * which folds to 's'; the cleaned text is already lower-case. Stateless.
 */
final class PreTokenizer {

  /** Receives the pieces of the text in order. */
  interface Sink {
    /** A word: the UTF-8 bytes {@code [start, end)} of the text. */
    void word(byte[] utf8, int start, int end);

    /** The literal special token {@code <|startoftext|>} or {@code <|endoftext|>}. */
    void special(boolean startOfText);
  }

  private static final byte SKIP = 0;
  private static final byte LETTER = 1;
  private static final byte NUMBER = 2;
  private static final byte OTHER = 3;

  private static final byte[] ASCII_CLASS = new byte[128];

  static {
    for (int c = 0; c < 128; c++) {
      ASCII_CLASS[c] = classOf(c);
    }
  }

  private static final String START_OF_TEXT = "<|startoftext|>";
  private static final String END_OF_TEXT = "<|endoftext|>";
  private static final char[] ONE_LETTER_CONTRACTIONS = {'s', 't', 'm', 'd'};
  private static final String[] TWO_LETTER_CONTRACTIONS = {"re", "ve", "ll"};

  private PreTokenizer() {}

  private static byte classOf(int cp) {
    if (UnicodeData.LETTER.contains(cp)) {
      return LETTER;
    }
    if (UnicodeData.NUMBER.contains(cp)) {
      return NUMBER;
    }
    if (UnicodeData.REGEX_SPACE.contains(cp) || UnicodeData.UNMATCHED.contains(cp)) {
      return SKIP;
    }
    return OTHER;
  }

  /** Splits cleaned UTF-8 text (the first {@code length} bytes) into pieces. */
  static void split(byte[] utf8, int length, Sink sink) {
    int i = 0;
    while (i < length) {
      int b = utf8[i];
      if (b == '<') {
        int end = specialEnd(utf8, length, i, START_OF_TEXT);
        boolean startOfText = end > 0;
        if (!startOfText) {
          end = specialEnd(utf8, length, i, END_OF_TEXT);
        }
        if (end > 0) {
          String literal = startOfText ? START_OF_TEXT : END_OF_TEXT;
          if (end - i == literal.length()) {
            sink.special(startOfText);
          } else {
            sink.word(utf8, i, end);
          }
          i = end;
          continue;
        }
      } else if (b == '\'') {
        int end = contractionEnd(utf8, length, i);
        if (end > 0) {
          sink.word(utf8, i, end);
          i = end;
          continue;
        }
      }
      byte cls = classAt(utf8, i);
      int next = i + Utf8.sequenceLength(utf8[i]);
      switch (cls) {
        case LETTER, OTHER -> {
          while (next < length && classAt(utf8, next) == cls) {
            next += Utf8.sequenceLength(utf8[next]);
          }
          sink.word(utf8, i, next);
        }
        case NUMBER -> sink.word(utf8, i, next);
        default -> {}
      }
      i = next;
    }
  }

  private static byte classAt(byte[] utf8, int i) {
    int b = utf8[i];
    return b >= 0 ? ASCII_CLASS[b] : classOf(Utf8.codePointAt(utf8, i));
  }

  /**
   * End of a case-insensitive match of the literal at {@code at}, or -1. Only the Latin letters of
   * the literal may differ in case.
   */
  private static int specialEnd(byte[] utf8, int length, int at, String literal) {
    int i = at;
    for (int k = 0; k < literal.length(); k++) {
      int matched = foldedLength(utf8, length, i, literal.charAt(k));
      if (matched == 0) {
        return -1;
      }
      i += matched;
    }
    return i;
  }

  /** End of {@code 's|'t|'re|'ve|'m|'ll|'d} at {@code at} (an apostrophe), or -1. */
  private static int contractionEnd(byte[] utf8, int length, int at) {
    int i = at + 1;
    if (i >= length) {
      return -1;
    }
    for (char single : ONE_LETTER_CONTRACTIONS) {
      int matched = foldedLength(utf8, length, i, single);
      if (matched > 0) {
        return i + matched;
      }
    }
    for (String pair : TWO_LETTER_CONTRACTIONS) {
      int first = foldedLength(utf8, length, i, pair.charAt(0));
      if (first > 0) {
        int second = foldedLength(utf8, length, i + first, pair.charAt(1));
        if (second > 0) {
          return i + first + second;
        }
      }
    }
    return -1;
  }

  /**
   * Bytes at {@code i} that match {@code expected} under the {@code regex} module's simple case
   * folding (upper case, and U+017F for 's'), or 0.
   */
  private static int foldedLength(byte[] utf8, int length, int i, char expected) {
    if (i >= length) {
      return 0;
    }
    int b = utf8[i];
    if (b == expected) {
      return 1;
    }
    if (expected >= 'a' && expected <= 'z' && b == expected - ('a' - 'A')) {
      return 1;
    }
    if (expected == 's' && b == (byte) 0xC5 && i + 1 < length && utf8[i + 1] == (byte) 0xBF) {
      return 2;
    }
    return 0;
  }
}
