package t2i.clip;

import java.text.Normalizer;
import org.jspecify.annotations.Nullable;

/**
 * ftfy 6.3's {@code fix_text} with its default configuration, as CLIP's reference calls it: the
 * text is cut into lines (and pieces of at most a million code points); each piece is fixed in
 * rounds of HTML unescaping (only while no '<' has been seen), mojibake repair, C1 controls, Latin
 * ligatures, character width, curly quotes, line breaks, surrogates, terminal escapes, control
 * characters and NFC, until a round changes nothing. Stateless.
 */
final class TextFixer {

  /** ftfy's {@code max_decode_length}, counted in code points. */
  static final int MAX_SEGMENT_CODE_POINTS = 1_000_000;

  /** Bound on fixing rounds per segment; ftfy itself loops until nothing changes. */
  static final int MAX_ROUNDS = 100;

  private static final int ESCAPE = 0x1B;

  /** Halfwidth and fullwidth forms U+FF00..U+FFEF mapped to their NFKC form, else null. */
  private static final String[] WIDTH_MAP = buildWidthMap();

  private TextFixer() {}

  private static String[] buildWidthMap() {
    String[] map = new String[0x100];
    for (int c = 0xFF01; c < 0xFFF0; c++) {
      String original = String.valueOf((char) c);
      String normalized = Normalizer.normalize(original, Normalizer.Form.NFKC);
      if (!normalized.equals(original)) {
        map[c - 0xFF00] = normalized;
      }
    }
    return map;
  }

  /** ftfy's {@code fix_text(text)}. */
  static String fixText(String text) {
    StringBuilder out = null;
    boolean unescapeHtml = true;
    int pos = 0;
    while (pos < text.length()) {
      int newline = text.indexOf('\n', pos);
      int end = newline < 0 ? text.length() : newline + 1;
      if (text.codePointCount(pos, end) > MAX_SEGMENT_CODE_POINTS) {
        end = text.offsetByCodePoints(pos, MAX_SEGMENT_CODE_POINTS);
      }
      String segment = text.substring(pos, end);
      // Once a segment looks like HTML, entities are kept in it and in every later segment.
      if (unescapeHtml && segment.indexOf('<') >= 0) {
        unescapeHtml = false;
      }
      String fixed = fixSegment(segment, unescapeHtml);
      if (pos == 0 && end == text.length()) {
        return fixed;
      }
      if (out == null) {
        out = new StringBuilder(text.length());
      }
      out.append(fixed);
      pos = end;
    }
    return out == null ? text : out.toString();
  }

  /** ftfy's {@code fix_and_explain(segment)} without the explanation. */
  static String fixSegment(String text, boolean unescapeHtml) {
    if (isFixedPoint(text, unescapeHtml)) {
      return text;
    }
    for (int round = 0; round < MAX_ROUNDS; round++) {
      String original = text;
      if (unescapeHtml) {
        text = HtmlUnescaper.unescapeFtfy(text);
      }
      text = MojibakeRepair.fixEncoding(text);
      text = MojibakeRepair.fixC1Controls(text);
      text = fixLatinLigatures(text);
      text = fixCharacterWidth(text);
      text = uncurlQuotes(text);
      text = fixLineBreaks(text);
      text = fixSurrogates(text);
      text = removeTerminalEscapes(text);
      text = removeControlChars(text);
      text = PythonText.nfc(text);
      if (text.equals(original)) {
        return text;
      }
    }
    return text;
  }

  /** Whether one round of {@link #fixSegment} would certainly leave the text as it is. */
  static boolean isFixedPoint(String text, boolean unescapeHtml) {
    boolean ascii = true;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\f') || c == 0x7F) {
          return false;
        }
        continue;
      }
      ascii = false;
      if (c <= 0x9F
          || c == '\u2028'
          || c == '\u2029'
          || isRemovedControl(c)
          || ligature(c) != null
          || width(c) != null
          || isCurlyQuote(c)) {
        return false;
      }
      if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c)
            && i + 1 < text.length()
            && Character.isLowSurrogate(text.charAt(i + 1))) {
          i++;
        } else {
          return false;
        }
      }
    }
    if (unescapeHtml && !HtmlUnescaper.unescapeFtfy(text).equals(text)) {
      return false;
    }
    return ascii || (!MojibakeHeuristics.isBad(text) && PythonText.isNfc(text));
  }

  /** ftfy's {@code fix_latin_ligatures}. */
  static String fixLatinLigatures(String text) {
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      String replacement = ligature(text.charAt(i));
      if (replacement != null) {
        if (out == null) {
          out = new StringBuilder(text.length() + 8).append(text, 0, i);
        }
        out.append(replacement);
      } else if (out != null) {
        out.append(text.charAt(i));
      }
    }
    return out == null ? text : out.toString();
  }

  private static @Nullable String ligature(char c) {
    return switch (c) {
      case '\u0132' -> "IJ";
      case '\u0133' -> "ij";
      case '\u0149' -> "\u02BCn";
      case '\u01F1' -> "DZ";
      case '\u01F2' -> "Dz";
      case '\u01F3' -> "dz";
      case '\u01C4' -> "D\u017D";
      case '\u01C5' -> "D\u017E";
      case '\u01C6' -> "d\u017E";
      case '\u01C7' -> "LJ";
      case '\u01C8' -> "Lj";
      case '\u01C9' -> "lj";
      case '\u01CA' -> "NJ";
      case '\u01CB' -> "Nj";
      case '\u01CC' -> "nj";
      case '\uFB00' -> "ff";
      case '\uFB01' -> "fi";
      case '\uFB02' -> "fl";
      case '\uFB03' -> "ffi";
      case '\uFB04' -> "ffl";
      case '\uFB05' -> "\u017Ft";
      case '\uFB06' -> "st";
      default -> null;
    };
  }

  /** ftfy's {@code fix_character_width}: NFKC for halfwidth and fullwidth forms, U+3000 to ' '. */
  static String fixCharacterWidth(String text) {
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      String replacement = width(text.charAt(i));
      if (replacement != null) {
        if (out == null) {
          out = new StringBuilder(text.length()).append(text, 0, i);
        }
        out.append(replacement);
      } else if (out != null) {
        out.append(text.charAt(i));
      }
    }
    return out == null ? text : out.toString();
  }

  private static @Nullable String width(char c) {
    if (c == '\u3000') {
      return " ";
    }
    return c >= 0xFF00 && c < 0xFFF0 ? WIDTH_MAP[c - 0xFF00] : null;
  }

  /** ftfy's {@code uncurl_quotes}. */
  static String uncurlQuotes(String text) {
    char[] chars = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (isCurlyQuote(c)) {
        if (chars == null) {
          chars = text.toCharArray();
        }
        chars[i] = c >= '\u201C' ? '"' : '\'';
      }
    }
    return chars == null ? text : new String(chars);
  }

  private static boolean isCurlyQuote(char c) {
    return c == '\u02BC' || (c >= '\u2018' && c <= '\u201F');
  }

  /** ftfy's {@code fix_line_breaks}: CRLF, CR, U+2028, U+2029 and U+0085 become '\n'. */
  static String fixLineBreaks(String text) {
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean lineBreak = c == '\r' || c == '\u2028' || c == '\u2029' || c == '\u0085';
      if (lineBreak && out == null) {
        out = new StringBuilder(text.length()).append(text, 0, i);
      }
      if (out == null) {
        continue;
      }
      if (lineBreak) {
        out.append('\n');
        if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
          i++;
        }
      } else {
        out.append(c);
      }
    }
    return out == null ? text : out.toString();
  }

  /** ftfy's {@code fix_surrogates}: a surrogate without its partner becomes U+FFFD. */
  static String fixSurrogates(String text) {
    char[] chars = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!Character.isSurrogate(c)) {
        continue;
      }
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
        continue;
      }
      if (chars == null) {
        chars = text.toCharArray();
      }
      chars[i] = '\uFFFD';
    }
    return chars == null ? text : new String(chars);
  }

  /** ftfy's {@code remove_terminal_escapes}: drops {@code ESC [ (\d|;)* [A-Za-z]}. */
  static String removeTerminalEscapes(String text) {
    int escape = text.indexOf(ESCAPE);
    if (escape < 0) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length());
    int copied = 0;
    while (escape >= 0) {
      int end = terminalEscapeEnd(text, escape);
      if (end < 0) {
        escape = text.indexOf(ESCAPE, escape + 1);
        continue;
      }
      out.append(text, copied, escape);
      copied = end;
      escape = text.indexOf(ESCAPE, end);
    }
    return out.append(text, copied, text.length()).toString();
  }

  private static int terminalEscapeEnd(String text, int escape) {
    int i = escape + 1;
    if (i >= text.length() || text.charAt(i) != '[') {
      return -1;
    }
    i++;
    while (i < text.length()) {
      int cp = text.codePointAt(i);
      if (cp != ';' && !UnicodeData.PY_DECIMAL.contains(cp)) {
        break;
      }
      i += Character.charCount(cp);
    }
    if (i < text.length()) {
      char c = text.charAt(i);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        return i + 1;
      }
    }
    return -1;
  }

  /** ftfy's {@code remove_control_chars}. */
  static String removeControlChars(String text) {
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean removed = isRemovedControl(c);
      if (removed && out == null) {
        out = new StringBuilder(text.length()).append(text, 0, i);
      } else if (!removed && out != null) {
        out.append(c);
      }
    }
    return out == null ? text : out.toString();
  }

  private static boolean isRemovedControl(char c) {
    return (c <= 0x08)
        || c == 0x0B
        || (c >= 0x0E && c <= 0x1F)
        || c == 0x7F
        || (c >= 0x206A && c <= 0x206F)
        || c == 0xFEFF
        || (c >= 0xFFF9 && c <= 0xFFFC);
  }
}
