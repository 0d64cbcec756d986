package t2i.clip;

import java.util.Arrays;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * ftfy's two mojibake detectors over code points: {@code is_bad} (its {@code BADNESS_RE}: unlikely
 * juxtapositions of the few hundred characters that UTF-8 mojibake produces) and {@code
 * UTF8_DETECTOR_RE} (runs that look like UTF-8 read in a single-byte code page). Each pattern
 * branch is a fixed sequence of character tests, so matching is a direct scan. Stateless.
 */
final class MojibakeHeuristics {

  // ftfy's character categories (badness.py), by the characters each one holds.
  static final CharClass COMMON =
      CharClass.of("\u00A0\u00AD\u00B7\u00B4\u2013\u2014\u2015\u2026\u2019");
  static final CharClass C1 = CharClass.of("\u0080-\u009F");
  static final CharClass BAD =
      CharClass.of(
          "\u00A6\u00A4\u00A8\u00AC\u00AF\u00B8\u0192\u02C6\u02C7\u02D8\u02DB\u02DC\u2020\u2021"
              + "\u2030\u2310\u25CA\uFFFD\u00AA\u00BA");
  static final CharClass LAW = CharClass.of("\u00B6\u00A7");
  static final CharClass CURRENCY = CharClass.of("\u00A2\u00A3\u00A5\u20A7\u20AC");
  static final CharClass START_PUNCTUATION =
      CharClass.of(
          "\u00A1\u00AB\u00BF\u00A9\u0384\u0385\u2018\u201A\u201C\u201E\u2022\u2039\uF8FF");
  static final CharClass END_PUNCTUATION = CharClass.of("\u00AE\u00BB\u02DD\u201D\u203A\u2122");
  static final CharClass NUMERIC =
      CharClass.of(
          "\u00B2\u00B3\u00B9\u00B1\u00BC\u00BD\u00BE\u00D7\u00B5\u00F7\u2044\u2202\u2206\u220F"
              + "\u2211\u221A\u221E\u2229\u222B\u2248\u2260\u2261\u2264\u2265\u2116");
  static final CharClass KAOMOJI =
      CharClass.of(
          "\u00D2-\u00D6\u00D9-\u00DC\u00F2-\u00F6\u00F8-\u00FC\u0150\u014C\u016A\u0172\u00B0");
  static final CharClass UPPER_ACCENTED =
      CharClass.of(
          "\u00C0-\u00D1\u00D8\u00DC\u00DD\u0102\u0100\u0104\u0106\u010C\u010E\u0110\u0118\u011A"
              + "\u0112\u0116\u011E\u0122\u0130\u012A\u0136\u0139\u013D\u0141\u013B\u0143\u0147"
              + "\u0145\u0152\u0158\u015A\u015E\u0160\u0162\u0164\u016E\u0170\u0178\u0179\u017B"
              + "\u017D\u0490");
  static final CharClass LOWER_ACCENTED =
      CharClass.of(
          "\u00DF\u00E0-\u00F1\u0103\u0105\u0101\u0107\u010D\u010F\u0111\u0119\u011B\u0113\u0117"
              + "\u011F\u0123\u012F\u012B\u0137\u013A\u013E\u0142\u013C\u0153\u0155\u015B\u015F"
              + "\u0161\u0165\u00FC\u017A\u017C\u017E\u0491\uFB01\uFB02");
  static final CharClass UPPER_COMMON =
      CharClass.of(
          "\u00DE\u0391-\u03A9\u0386\u0388\u0389\u038A\u038C\u038E\u038F\u03AA\u03AB\u0401-\u042F");
  static final CharClass LOWER_COMMON =
      CharClass.of("\u03B1-\u03C9\u03AC\u03AD\u03AE\u03AF\u03B0\u0430-\u045F");
  static final CharClass BOX =
      CharClass.of(
          "\u2502\u250C\u2510\u2518\u251C\u2524\u252C\u253C\u2550-\u256C\u2580\u2584\u2588\u258C"
              + "\u2590\u2591\u2592\u2593");

  // ftfy's UTF8_CLUES (chardata.py): what UTF-8 lead and continuation bytes look like when read
  // in one of the single-byte code pages.
  private static final CharClass UTF8_FIRST_OF_2 =
      CharClass.of(
          "\u0102\u00C2\u00C4\u0100\u00C5\u00C3\u00C6\u0106\u010C\u00C7\u010E\u0110\u00C9\u011A"
              + "\u00CA\u00CB\u0116\u00C8\u0112\u0118\u00D0\u011E\u0122\u00CD\u00CE\u00CF\u0130"
              + "\u00CC\u012A\u0136\u0139\u013B\u0141\u0143\u0147\u0145\u00D1\u00D3\u00D4\u00D6"
              + "\u0150\u00D2\u014C\u00D8\u00D5\u0158\u015A\u0160\u015E\u0162\u00DE\u00DA\u00DB"
              + "\u00DC\u0170\u00D9\u016A\u0172\u016E\u00DD\u0179\u017D\u017B\u00DF\u00D7\u0392"
              + "\u0393\u0394\u0395\u0396\u0397\u0398\u0399\u039A\u039B\u039C\u039D\u039E\u039F"
              + "\u03A0\u03A1\u03A3\u03A4\u03A5\u03A6\u03A7\u03A8\u03A9\u03AA\u03AB\u03AC\u03AD"
              + "\u03AE\u03AF\u0412-\u042F");
  private static final CharClass UTF8_FIRST_OF_3 =
      CharClass.of(
          "\u00E1\u0103\u00E2\u00E4\u00E0\u0101\u0105\u00E5\u00E3\u00E6\u0107\u010D\u00E7\u010F"
              + "\u00E9\u011B\u00EA\u00EB\u0117\u00E8\u0113\u0119\u0123\u00ED\u00EE\u00EF\u00EC"
              + "\u012B\u012F\u0137\u013A\u013C\u0155\u017A\u03B0-\u03BF\u0430-\u043F");
  private static final CharClass UTF8_FIRST_OF_4 =
      CharClass.of("\u0111\u00F0\u011F\u00F3\u0161\u03C0\u03C3\u0440\u0443");
  private static final String CONTINUATION_SHARED =
      "\u0080-\u00BF\u0104\u00C6\u013D\u0141\u00D8\u0156\u015A\u0160\u015E\u0164\u0178\u0179"
          + "\u017D\u017B\u0152\u0105\u00E6\u0192\u013E\u0142\u00F8\u0157\u015B\u0161\u015F\u0165"
          + "\u017A\u017E\u017C\u0153\u02C6\u02C7\u02D8\u02DB\u02DC\u02DD\u0384\u0385\u0386\u0388"
          + "\u0389\u038A\u038C\u038E\u038F\u0401-\u040C\u040E\u040F\u0451-\u045C\u045E\u045F"
          + "\u0490\u0491\u2020\u2021\u2030\u2039\u203A\u20AC\u2116\u2122";
  private static final CharClass UTF8_CONTINUATION =
      CharClass.of(
          CONTINUATION_SHARED
              + " \u2013\u2014\u2015\u2018\u2019\u201A\u201C\u201D\u201E\u2022"
              + "\u2026");
  private static final CharClass UTF8_CONTINUATION_STRICT = CharClass.of(CONTINUATION_SHARED);

  private static final IntPredicate SPACE = PythonText::isSpace;
  private static final IntPredicate WORD = MojibakeHeuristics::isWordChar;
  private static final IntPredicate NOT_NEWLINE = MojibakeHeuristics::isNotNewline;

  /** The branches of {@code BADNESS_RE}; the optional {@code \s?} appears as two branches. */
  private static final List<IntPredicate[]> BADNESS = buildBadness();

  /** The branch {@code ^[ÃÂ][ ]}, which only matches at the start of the text. */
  private static final IntPredicate[] BADNESS_AT_START = {
    CharClass.of("\u00C3\u00C2"), CharClass.of(" ")
  };

  /** For each code point below {@link CharClass#BITMAP_LIMIT}, the branches it may start. */
  private static final long[] FIRST_ELEMENT_BRANCHES = firstElementBranches();

  /** Every character any {@code BADNESS_RE} branch needs at least one of. */
  private static final CharClass BADNESS_TRIGGERS =
      CharClass.union(
          C1,
          BAD,
          LAW,
          CURRENCY,
          START_PUNCTUATION,
          END_PUNCTUATION,
          NUMERIC,
          KAOMOJI,
          UPPER_ACCENTED,
          LOWER_ACCENTED,
          UPPER_COMMON,
          LOWER_COMMON,
          BOX,
          CharClass.of("\u00D7\u00E0\u221A\u2248\u201A\u0432\u0413\u00C3\u00C2\u03B2\u0101"));

  private MojibakeHeuristics() {}

  /** Python's {@code \w}. */
  private static boolean isWordChar(int cp) {
    return cp == '_' || UnicodeData.PY_WORD.contains(cp);
  }

  private static boolean isNotNewline(int cp) {
    return cp != '\n';
  }

  private static List<IntPredicate[]> buildBadness() {
    CharClass lowerUpperAccented = CharClass.union(LOWER_ACCENTED, UPPER_ACCENTED);
    CharClass asciiLetter = CharClass.of("a-zA-Z");
    CharClass asciiLower = CharClass.of("a-z");
    CharClass arabicFollower =
        CharClass.union(
            COMMON,
            CURRENCY,
            BAD,
            NUMERIC,
            START_PUNCTUATION,
            CharClass.of("\u0178\u0160\u00AE\u00B0\u00B5\u00BB"));
    CharClass arabicLead = CharClass.of("\u00D8\u00D9");
    CharClass cyrillicLead = CharClass.of("\u0412\u0413\u0420\u0421");
    CharClass greekLead = CharClass.of("\u0392\u0393\u039E\u039F");
    CharClass aHat = CharClass.of("\u00C3\u00C2");
    return List.of(
        seq(C1),
        seq(
            CharClass.union(
                BAD,
                LOWER_ACCENTED,
                UPPER_ACCENTED,
                BOX,
                START_PUNCTUATION,
                END_PUNCTUATION,
                CURRENCY,
                NUMERIC,
                LAW),
            BAD),
        seq(asciiLetter, CharClass.union(LOWER_COMMON, UPPER_COMMON), BAD),
        seq(
            BAD,
            CharClass.union(
                LOWER_ACCENTED,
                UPPER_ACCENTED,
                BOX,
                START_PUNCTUATION,
                END_PUNCTUATION,
                CURRENCY,
                NUMERIC,
                LAW)),
        seq(
            CharClass.union(LOWER_ACCENTED, LOWER_COMMON, BOX, END_PUNCTUATION, CURRENCY, NUMERIC),
            UPPER_ACCENTED),
        seq(CharClass.union(BOX, END_PUNCTUATION, CURRENCY, NUMERIC), LOWER_ACCENTED),
        seq(CharClass.union(LOWER_ACCENTED, BOX, END_PUNCTUATION), CURRENCY),
        seq(SPACE, UPPER_ACCENTED, CURRENCY),
        seq(CharClass.union(UPPER_ACCENTED, BOX), CharClass.union(NUMERIC, LAW)),
        seq(
            CharClass.union(lowerUpperAccented, BOX, CURRENCY, END_PUNCTUATION),
            START_PUNCTUATION,
            NUMERIC),
        seq(
            CharClass.union(lowerUpperAccented, CURRENCY, NUMERIC, BOX, LAW),
            END_PUNCTUATION,
            START_PUNCTUATION),
        seq(CharClass.union(CURRENCY, NUMERIC, BOX), START_PUNCTUATION),
        seq(asciiLower, UPPER_ACCENTED, CharClass.union(START_PUNCTUATION, CURRENCY)),
        seq(BOX, KAOMOJI),
        seq(
            CharClass.union(
                lowerUpperAccented, CURRENCY, NUMERIC, START_PUNCTUATION, END_PUNCTUATION, LAW),
            BOX),
        seq(BOX, END_PUNCTUATION),
        seq(lowerUpperAccented, CharClass.union(START_PUNCTUATION, END_PUNCTUATION), WORD),
        // The ligature oe when not followed by an unaccented Latin letter.
        seq(CharClass.of("\u0152\u0153"), asciiLetter.negate()),
        seq(UPPER_ACCENTED, CharClass.of("\u00B0")),
        seq(
            CharClass.of("\u00C2\u00C3\u00CE\u00D0"),
            CharClass.union(
                CharClass.of(
                    "\u20AC\u0153\u0160\u0161\u00A2\u00A3\u0178\u017E\u00A0\u00AD\u00AE\u00A9"
                        + "\u00B0\u00B7\u00BB\u2013\u2014\u00B4"),
                START_PUNCTUATION,
                END_PUNCTUATION)),
        seq(CharClass.of("\u00D7"), CharClass.of("\u00B2\u00B3")),
        seq(arabicLead, arabicFollower, arabicLead, arabicFollower),
        seq(CharClass.of("\u00E0"), CharClass.of("\u00B2\u00B5\u00B9\u00BC\u00BD\u00BE")),
        seq(
            CharClass.of("\u221A"),
            CharClass.of(
                "\u00B1\u2202\u2020\u2260\u00AE\u2122\u00B4\u2264\u2265\u00A5\u00B5\u00F8")),
        seq(CharClass.of("\u2248"), CharClass.of("\u00B0\u00A2")),
        seq(
            CharClass.of("\u201A"),
            CharClass.of("\u00C4"),
            CharClass.of(
                "\u00EC\u00EE\u00EF\u00F2\u00F4\u00FA\u00F9\u00FB\u2020\u00B0\u00A2\u03C0")),
        seq(
            CharClass.of("\u201A"),
            CharClass.of("\u00E2\u00F3"),
            CharClass.of("\u00E0\u00E4\u00B0\u00EA")),
        seq(CharClass.of("\u0432"), CharClass.of("\u0402")),
        seq(
            cyrillicLead,
            CharClass.union(
                C1,
                BAD,
                START_PUNCTUATION,
                END_PUNCTUATION,
                CURRENCY,
                CharClass.of("\u00B0\u00B5")),
            cyrillicLead),
        seq(
            CharClass.of("\u0413"),
            CharClass.of("\u045E"),
            CharClass.of("\u0412"),
            CharClass.of("\u0402"),
            CharClass.of("\u0412"),
            NOT_NEWLINE,
            CharClass.of("A-Za-z ")),
        seq(CharClass.of("\u00C3"), CharClass.of("\u00A0\u00A1")),
        seq(asciiLower, aHat, CharClass.of(" ")),
        seq(asciiLower, SPACE, aHat, CharClass.of(" ")),
        seq(
            CharClass.union(CharClass.of("a-z.,?!"), END_PUNCTUATION),
            CharClass.of("\u00C2"),
            CharClass.union(CharClass.of(" "), START_PUNCTUATION, END_PUNCTUATION)),
        seq(
            CharClass.of("\u03B2"),
            CharClass.of("\u20AC"),
            CharClass.of("\u2122\u00A0\u0386\u00AD\u00AE\u00B0")),
        seq(
            greekLead,
            CharClass.union(
                C1, BAD, START_PUNCTUATION, END_PUNCTUATION, CURRENCY, CharClass.of("\u00B0")),
            greekLead),
        seq(CharClass.of("\u0101"), CharClass.of("\u20AC")));
  }

  private static IntPredicate[] seq(IntPredicate... elements) {
    return elements;
  }

  /** ftfy's {@code is_bad(text)}: whether {@code BADNESS_RE} matches anywhere. */
  static boolean isBad(String text) {
    if (!mayBeBad(text)) {
      return false;
    }
    int[] cps = codePoints(text);
    if (matches(cps, 0, BADNESS_AT_START, 0)) {
      return true;
    }
    for (int start = 0; start < cps.length; start++) {
      for (long branches = branchesStartingWith(cps[start]); branches != 0; ) {
        int branch = Long.numberOfTrailingZeros(branches);
        if (matches(cps, start, BADNESS.get(branch), 1)) {
          return true;
        }
        branches &= branches - 1;
      }
    }
    return false;
  }

  /** Bit b is set when branch b of {@code BADNESS} may start with the code point. */
  private static long branchesStartingWith(int cp) {
    if (cp < CharClass.BITMAP_LIMIT) {
      return FIRST_ELEMENT_BRANCHES[cp];
    }
    long branches = 0;
    for (int b = 0; b < BADNESS.size(); b++) {
      if (BADNESS.get(b)[0].test(cp)) {
        branches |= 1L << b;
      }
    }
    return branches;
  }

  private static long[] firstElementBranches() {
    if (BADNESS.size() > Long.SIZE) {
      throw new IllegalStateException("more branches than bits");
    }
    long[] table = new long[CharClass.BITMAP_LIMIT];
    for (int b = 0; b < BADNESS.size(); b++) {
      IntPredicate first = BADNESS.get(b)[0];
      for (int cp = 0; cp < table.length; cp++) {
        if (first.test(cp)) {
          table[cp] |= 1L << b;
        }
      }
    }
    return table;
  }

  /** Whether the text holds a character without which {@link #isBad} is certainly false. */
  static boolean mayBeBad(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= 0x80 && BADNESS_TRIGGERS.test(c)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the branch matches at {@code start}, given that its first {@code known} elements do.
   */
  private static boolean matches(int[] cps, int start, IntPredicate[] branch, int known) {
    if (start + branch.length > cps.length) {
      return false;
    }
    for (int k = known; k < branch.length; k++) {
      if (!branch[k].test(cps[start + k])) {
        return false;
      }
    }
    return true;
  }

  static int[] codePoints(String text) {
    int[] cps = new int[text.length()];
    int n = 0;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      cps[n++] = cp;
      i += Character.charCount(cp);
    }
    return n == cps.length ? cps : Arrays.copyOf(cps, n);
  }

  /** Whether {@code UTF8_DETECTOR_RE} matches anywhere in the code points. */
  static boolean hasUtf8Mojibake(int[] cps) {
    for (int start = 0; start < cps.length; start++) {
      if (utf8MojibakeEnd(cps, start) > 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * End of the {@code UTF8_DETECTOR_RE} match that starts at {@code start}, or -1. The pattern is
   * {@code (?<![strict])(first2 cont | first3 cont{2} | first4 cont{3})+}; each repetition takes
   * the first branch that matches, as Python's engine does when nothing follows the group.
   */
  static int utf8MojibakeEnd(int[] cps, int start) {
    if (start > 0 && UTF8_CONTINUATION_STRICT.test(cps[start - 1])) {
      return -1;
    }
    int at = start;
    while (true) {
      if (leadFollowedBy(cps, at, UTF8_FIRST_OF_2, 1)) {
        at += 2;
      } else if (leadFollowedBy(cps, at, UTF8_FIRST_OF_3, 2)) {
        at += 3;
      } else if (leadFollowedBy(cps, at, UTF8_FIRST_OF_4, 3)) {
        at += 4;
      } else {
        break;
      }
    }
    return at > start ? at : -1;
  }

  private static boolean leadFollowedBy(int[] cps, int at, CharClass lead, int continuations) {
    if (at + continuations >= cps.length || !lead.test(cps[at])) {
      return false;
    }
    for (int k = 1; k <= continuations; k++) {
      if (!UTF8_CONTINUATION.test(cps[at + k])) {
        return false;
      }
    }
    return true;
  }
}
