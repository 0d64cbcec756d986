package t2i.clip;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The two HTML unescapers of the reference: Python's {@code html.unescape} (HTML5 rules, including
 * legacy entities without a semicolon such as {@code &amp} and longest-prefix matching such as
 * <code>&amp;notit;</code>) and ftfy's stricter {@code unescape_html} (only <code>&amp;name;</code>
 * with the semicolon, plus upper-cased names of lower-case entities). Stateless and thread-safe.
 */
final class HtmlUnescaper {

  /** Python's {@code html.entities.html5}: names (with or without ';') to replacement text. */
  private static final Map<String, String> HTML5 = loadHtml5();

  /** ftfy's {@code HTML_ENTITIES}: <code>&amp;name;</code> (and upper-cased variants) to text. */
  private static final Map<String, String> FTFY_ENTITIES = buildFtfyEntities();

  private static final int MAX_NAMED_LENGTH = 32;
  private static final int MAX_FTFY_NAME_LENGTH = 24;

  private HtmlUnescaper() {}

  /** Python's {@code html.unescape(text)}. */
  static String unescape(String text) {
    int amp = text.indexOf('&');
    if (amp < 0) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length());
    int copied = 0;
    int i = amp;
    while (i >= 0) {
      int end = referenceEnd(text, i + 1);
      if (end < 0) {
        i = text.indexOf('&', i + 1);
        continue;
      }
      out.append(text, copied, i).append(replaceReference(text.substring(i + 1, end)));
      copied = end;
      i = text.indexOf('&', end);
    }
    return out.append(text, copied, text.length()).toString();
  }

  /**
   * End of the character reference that starts after an '&' at {@code from}, as Python's pattern
   * {@code #[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?} matches it, or -1.
   */
  private static int referenceEnd(String text, int from) {
    int n = text.length();
    if (from >= n) {
      return -1;
    }
    if (text.charAt(from) == '#') {
      int digits = from + 1;
      while (digits < n && isAsciiDigit(text.charAt(digits))) {
        digits++;
      }
      if (digits > from + 1) {
        return digits < n && text.charAt(digits) == ';' ? digits + 1 : digits;
      }
      if (from + 1 < n && (text.charAt(from + 1) == 'x' || text.charAt(from + 1) == 'X')) {
        int hex = from + 2;
        while (hex < n && Character.digit(text.charAt(hex), 16) >= 0 && text.charAt(hex) < 0x80) {
          hex++;
        }
        if (hex > from + 2) {
          return hex < n && text.charAt(hex) == ';' ? hex + 1 : hex;
        }
      }
      return -1;
    }
    int end = from;
    int count = 0;
    while (end < n && count < MAX_NAMED_LENGTH) {
      char c = text.charAt(end);
      if (c == '\t' || c == '\n' || c == '\f' || c == ' ' || c == '<' || c == '&' || c == '#'
          || c == ';') {
        break;
      }
      end += Character.charCount(text.codePointAt(end));
      count++;
    }
    if (count == 0) {
      return -1;
    }
    return end < n && text.charAt(end) == ';' ? end + 1 : end;
  }

  /** Python's {@code _replace_charref} for the reference text after the '&'. */
  private static String replaceReference(String reference) {
    if (reference.charAt(0) == '#') {
      return numericReference(reference);
    }
    String whole = HTML5.get(reference);
    if (whole != null) {
      return whole;
    }
    for (int prefix = reference.length() - 1; prefix > 1; prefix--) {
      String replacement = HTML5.get(reference.substring(0, prefix));
      if (replacement != null) {
        return replacement + reference.substring(prefix);
      }
    }
    return "&" + reference;
  }

  private static String numericReference(String reference) {
    boolean hex = reference.charAt(1) == 'x' || reference.charAt(1) == 'X';
    int end = reference.endsWith(";") ? reference.length() - 1 : reference.length();
    int radix = hex ? 16 : 10;
    int value = 0;
    for (int i = hex ? 2 : 1; i < end; i++) {
      value = value * radix + Character.digit(reference.charAt(i), radix);
      if (value > Character.MAX_CODE_POINT) {
        return "\uFFFD";
      }
    }
    if (value <= 0x9F) {
      String windows = invalidCharacterReference(value);
      if (windows != null) {
        return windows;
      }
    }
    if (value >= 0xD800 && value <= 0xDFFF) {
      return "\uFFFD";
    }
    if (isInvalidCodePoint(value)) {
      return "";
    }
    return Character.toString(value);
  }

  /** Python's {@code _invalid_charrefs}: 0, CR and the Windows-1252 range 0x80-0x9F. */
  private static @Nullable String invalidCharacterReference(int value) {
    if (value == 0) {
      return "\uFFFD";
    }
    if (value == 0x0D) {
      return "\r";
    }
    if (value >= 0x80 && value <= 0x9F) {
      return String.valueOf(SingleByteCodec.WINDOWS_1252_HTML[value - 0x80]);
    }
    return null;
  }

  /** Python's {@code _invalid_codepoints}: these references decode to nothing. */
  private static boolean isInvalidCodePoint(int value) {
    return (value >= 0x1 && value <= 0x8)
        || value == 0xB
        || (value >= 0xE && value <= 0x1F)
        || (value >= 0x7F && value <= 0x9F)
        || (value >= 0xFDD0 && value <= 0xFDEF)
        || (value & 0xFFFE) == 0xFFFE;
  }

  /** ftfy's {@code unescape_html(text)}: replaces {@code &#?[0-9A-Za-z]{1,24};} where it can. */
  static String unescapeFtfy(String text) {
    int amp = text.indexOf('&');
    if (amp < 0) {
      return text;
    }
    StringBuilder out = null;
    int copied = 0;
    for (int i = amp; i >= 0; ) {
      int end = ftfyEntityEnd(text, i);
      if (end < 0) {
        i = text.indexOf('&', i + 1);
        continue;
      }
      String entity = text.substring(i, end);
      String replacement = ftfyReplacement(entity);
      if (!replacement.equals(entity)) {
        if (out == null) {
          out = new StringBuilder(text.length());
        }
        out.append(text, copied, i).append(replacement);
        copied = end;
      }
      i = text.indexOf('&', end);
    }
    return out == null ? text : out.append(text, copied, text.length()).toString();
  }

  private static int ftfyEntityEnd(String text, int amp) {
    int start = amp + 1;
    if (start < text.length() && text.charAt(start) == '#') {
      start++;
    }
    int end = start;
    while (end < text.length() && isAsciiAlphanumeric(text.charAt(end))) {
      end++;
    }
    int length = end - start;
    if (length < 1 || length > MAX_FTFY_NAME_LENGTH) {
      return -1;
    }
    return end < text.length() && text.charAt(end) == ';' ? end + 1 : -1;
  }

  private static String ftfyReplacement(String entity) {
    String named = FTFY_ENTITIES.get(entity);
    if (named != null) {
      return named;
    }
    if (entity.startsWith("&#")) {
      String unescaped = unescape(entity);
      // A reference that html.unescape only partly consumed is left alone.
      return unescaped.indexOf(';') >= 0 ? entity : unescaped;
    }
    return entity;
  }

  private static boolean isAsciiDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isAsciiAlphanumeric(char c) {
    return isAsciiDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  private static Map<String, String> loadHtml5() {
    Map<String, String> entities = new HashMap<>();
    UnicodeData.readTable("html5-entities.txt")
        .forEach(
            (name, codePoints) -> {
              StringBuilder text = new StringBuilder();
              for (String cp : codePoints.split(" ", -1)) {
                text.appendCodePoint(Integer.parseInt(cp, 16));
              }
              entities.put(name, text.toString());
            });
    return Map.copyOf(entities);
  }

  /**
   * ftfy decodes <code>&amp;name;</code> for every HTML5 name with a semicolon, and the all-caps
   * spelling of an all-lower-case name (as upper-cased text) when Python's unescaper would leave
   * that spelling alone.
   */
  private static Map<String, String> buildFtfyEntities() {
    Map<String, String> entities = new HashMap<>();
    HTML5.forEach(
        (name, text) -> {
          if (!name.endsWith(";")) {
            return;
          }
          entities.put("&" + name, text);
          if (name.equals(name.toLowerCase(Locale.ROOT))) {
            String upper = "&" + name.toUpperCase(Locale.ROOT);
            if (unescape(upper).equals(upper)) {
              entities.put(upper, text.toUpperCase(Locale.ROOT));
            }
          }
        });
    return Map.copyOf(entities);
  }
}
