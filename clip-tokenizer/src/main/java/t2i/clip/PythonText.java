package t2i.clip;

import java.text.Normalizer;
import java.util.Arrays;

/**
 * Python {@code str} operations the reference applies, with Python's character data: {@code
 * strip()}, {@code lower()} (full mappings and the final-sigma rule), the {@code regex} module's
 * {@code \s+} collapse, and NFC as Python's {@code unicodedata} performs it. Stateless.
 */
final class PythonText {

  private static final int CAPITAL_SIGMA = 0x03A3;
  private static final int SMALL_SIGMA = 0x03C3;
  private static final int FINAL_SIGMA = 0x03C2;

  /** Longer runs of combining marks are ordered before the JDK's normalizer sees them. */
  private static final int MARK_RUN_LIMIT = 32;

  private PythonText() {}

  /** {@code str.isspace()} of one code point. */
  static boolean isSpace(int codePoint) {
    return UnicodeData.PY_SPACE.contains(codePoint);
  }

  /** {@code str.strip()}. */
  static String strip(String text) {
    int start = 0;
    int end = text.length();
    while (start < end) {
      int cp = text.codePointAt(start);
      if (!isSpace(cp)) {
        break;
      }
      start += Character.charCount(cp);
    }
    while (end > start) {
      int cp = text.codePointBefore(end);
      if (!isSpace(cp)) {
        break;
      }
      end -= Character.charCount(cp);
    }
    return text.substring(start, end);
  }

  /** {@code regex.sub(r'\s+', ' ', text)}. */
  static String collapseWhitespace(String text) {
    StringBuilder out = null;
    int i = 0;
    int copied = 0;
    while (i < text.length()) {
      int cp = text.codePointAt(i);
      if (!UnicodeData.REGEX_SPACE.contains(cp)) {
        i += Character.charCount(cp);
        continue;
      }
      int end = i + 1;
      while (end < text.length() && UnicodeData.REGEX_SPACE.contains(text.charAt(end))) {
        end++;
      }
      if (end - i > 1 || cp != ' ') {
        if (out == null) {
          out = new StringBuilder(text.length());
        }
        out.append(text, copied, i).append(' ');
        copied = end;
      }
      i = end;
    }
    return out == null ? text : out.append(text, copied, text.length()).toString();
  }

  /** {@code str.lower()}. */
  static String lower(String text) {
    int n = text.length();
    int i = 0;
    // Most text is already lower case: copy only from the first code point that changes.
    while (i < n) {
      char c = text.charAt(i);
      if (c < 0x80 ? (c >= 'A' && c <= 'Z') : lowersToSomethingElse(text, i)) {
        break;
      }
      i++;
    }
    if (i == n) {
      return text;
    }
    StringBuilder out = new StringBuilder(n + 8).append(text, 0, i);
    while (i < n) {
      char c = text.charAt(i);
      if (c < 0x80) {
        out.append(c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c);
        i++;
        continue;
      }
      int cp = text.codePointAt(i);
      appendLower(out, text, i, cp);
      i += Character.charCount(cp);
    }
    return out.toString();
  }

  private static boolean lowersToSomethingElse(String text, int i) {
    int cp = text.codePointAt(i);
    return cp == CAPITAL_SIGMA
        || UnicodeData.lowerMulti(cp) != null
        || UnicodeData.lowerSingle(cp) != cp;
  }

  private static void appendLower(StringBuilder out, String text, int i, int cp) {
    if (cp == CAPITAL_SIGMA) {
      out.append((char) (isFinalSigma(text, i) ? FINAL_SIGMA : SMALL_SIGMA));
      return;
    }
    String multi = UnicodeData.lowerMulti(cp);
    if (multi != null) {
      out.append(multi);
    } else {
      out.appendCodePoint(UnicodeData.lowerSingle(cp));
    }
  }

  /**
   * Python's final-sigma context: a cased letter before (skipping case-ignorable code points) and
   * no cased letter after (skipping the same).
   */
  private static boolean isFinalSigma(String text, int index) {
    int j = index;
    int before = -1;
    while (j > 0) {
      int cp = text.codePointBefore(j);
      j -= Character.charCount(cp);
      if (!UnicodeData.PY_CASE_IGNORABLE.contains(cp)) {
        before = cp;
        break;
      }
    }
    if (before < 0 || !UnicodeData.PY_CASED.contains(before)) {
      return false;
    }
    for (int k = index + 1; k < text.length(); ) {
      int cp = text.codePointAt(k);
      if (!UnicodeData.PY_CASE_IGNORABLE.contains(cp)) {
        return !UnicodeData.PY_CASED.contains(cp);
      }
      k += Character.charCount(cp);
    }
    return true;
  }

  /**
   * {@code unicodedata.normalize('NFC', text)}. The JDK's normalizer implements a newer Unicode
   * version; code points unassigned in Python's version never compose or reorder there, so the text
   * is normalized in pieces between them and they are kept as they are. For assigned code points
   * the result cannot differ, by Unicode's normalization stability policy.
   */
  static String nfc(String text) {
    int firstUnassigned = indexOfUnassigned(text, 0);
    if (firstUnassigned < 0) {
      return nfcOfAssigned(text);
    }
    StringBuilder out = new StringBuilder(text.length());
    int start = 0;
    int at = firstUnassigned;
    while (at >= 0) {
      out.append(nfcOfAssigned(text.substring(start, at)));
      int cp = text.codePointAt(at);
      out.appendCodePoint(cp);
      start = at + Character.charCount(cp);
      at = indexOfUnassigned(text, start);
    }
    out.append(nfcOfAssigned(text.substring(start)));
    return out.toString();
  }

  /**
   * NFC of text whose code points Python's Unicode version assigns. Canonical reordering of a run
   * of combining marks is quadratic in the JDK (and in Python); a long run is put in canonical
   * order here with a stable sort first, which leaves the normalizer linear work and the same
   * result.
   */
  private static String nfcOfAssigned(String text) {
    if (longestMarkRun(text) <= MARK_RUN_LIMIT) {
      return Normalizer.normalize(text, Normalizer.Form.NFC);
    }
    StringBuilder decomposed = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      int next = i + Character.charCount(cp);
      decomposed.append(Normalizer.normalize(text.substring(i, next), Normalizer.Form.NFD));
      i = next;
    }
    int[] cps = decomposed.codePoints().toArray();
    for (int start = 0; start < cps.length; ) {
      if (UnicodeData.combiningClass(cps[start]) == 0) {
        start++;
        continue;
      }
      int end = start;
      while (end < cps.length && UnicodeData.combiningClass(cps[end]) != 0) {
        end++;
      }
      sortByCombiningClass(cps, start, end);
      start = end;
    }
    return Normalizer.normalize(new String(cps, 0, cps.length), Normalizer.Form.NFC);
  }

  /** Stable sort of {@code cps[start, end)} by combining class: canonical ordering. */
  private static void sortByCombiningClass(int[] cps, int start, int end) {
    long[] keyed = new long[end - start];
    for (int i = start; i < end; i++) {
      keyed[i - start] = ((long) UnicodeData.combiningClass(cps[i]) << 32) | (i - start);
    }
    Arrays.sort(keyed);
    int[] run = Arrays.copyOfRange(cps, start, end);
    for (int i = 0; i < keyed.length; i++) {
      cps[start + i] = run[(int) keyed[i]];
    }
  }

  /** Length of the longest run of code points whose decomposition starts with a combining mark. */
  private static int longestMarkRun(String text) {
    int longest = 0;
    int run = 0;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      if (cp >= 0x300 && UnicodeData.PY_NFD_LEADING_MARK.contains(cp)) {
        longest = Math.max(longest, ++run);
      } else {
        run = 0;
      }
      i += Character.charCount(cp);
    }
    return longest;
  }

  /** Whether {@link #nfc} would return the text unchanged, cheaply when it is. */
  static boolean isNfc(String text) {
    return (indexOfUnassigned(text, 0) < 0 && longestMarkRun(text) <= MARK_RUN_LIMIT)
        ? Normalizer.isNormalized(text, Normalizer.Form.NFC)
        : nfc(text).equals(text);
  }

  private static int indexOfUnassigned(String text, int from) {
    for (int i = from; i < text.length(); ) {
      int cp = text.codePointAt(i);
      if (cp >= 0x80 && !UnicodeData.PY_ASSIGNED.contains(cp)) {
        return i;
      }
      i += Character.charCount(cp);
    }
    return -1;
  }
}
