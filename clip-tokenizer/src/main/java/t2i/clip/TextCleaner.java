package t2i.clip;

import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * The reference's text preparation, {@code whitespace_clean(basic_clean(text)).lower()}: ftfy's
 * {@code fix_text}, Python's {@code html.unescape} twice, {@code strip()}, {@code \s+} collapsed to
 * one space, {@code strip()}, {@code lower()}.
 *
 * <p>On printable ASCII without '&' whose only control characters are tab, line feed, form feed and
 * carriage return, the whole preparation just lower-cases letters and rewrites whitespace, and
 * whitespace only separates words; such text takes a fast path that lower-cases it into bytes in
 * one pass. Stateless.
 */
final class TextCleaner {

  private TextCleaner() {}

  /** The cleaned text, as the reference produces it. */
  static String clean(String text) {
    byte[] fast = asciiFastPath(text);
    if (fast != null) {
      return PythonText.strip(
          PythonText.collapseWhitespace(new String(fast, StandardCharsets.US_ASCII)));
    }
    return cleanSlowly(text);
  }

  /**
   * UTF-8 bytes of text that tokenizes exactly as the cleaned text does. On the fast path the
   * whitespace is left as it is (it only separates words); otherwise this is the cleaned text.
   */
  static byte[] cleanToUtf8(String text) {
    byte[] fast = asciiFastPath(text);
    return fast != null ? fast : Utf8.encode(cleanSlowly(text));
  }

  private static String cleanSlowly(String text) {
    String fixed = TextFixer.fixText(text);
    String unescaped = HtmlUnescaper.unescape(HtmlUnescaper.unescape(fixed));
    String collapsed = PythonText.collapseWhitespace(PythonText.strip(unescaped));
    return PythonText.lower(PythonText.strip(collapsed));
  }

  /** The lower-cased ASCII bytes of the text, or {@code null} when it needs the full pipeline. */
  private static byte @Nullable [] asciiFastPath(String text) {
    byte[] out = new byte[text.length()];
    for (int i = 0; i < out.length; i++) {
      char c = text.charAt(i);
      if (c >= 0x20 && c < 0x7F) {
        if (c == '&') {
          return null;
        }
        out[i] = (byte) (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
      } else if (c == '\t' || c == '\n' || c == '\f' || c == '\r') {
        out[i] = (byte) c;
      } else {
        return null;
      }
    }
    return out;
  }
}
