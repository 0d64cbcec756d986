package t2i.clip;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Character properties exactly as the CLIP reference tokenizer sees them, read from {@code
 * unicode-tables.txt} (written by {@code src/main/python/generate_tables.py}).
 *
 * <p>The reference takes its pre-tokenizer classes from the {@code regex} module and everything
 * else (lower-casing, {@code str.isspace}, the {@code re} module's {@code \w} and {@code \d}, NFC)
 * from Python's {@code unicodedata}; both differ from the JDK's Unicode version, so the JDK's
 * {@link Character} properties are not used. Immutable and thread-safe.
 */
final class UnicodeData {

  /** {@code [\p{L}]} of the {@code regex} module, case-insensitive as the pattern is compiled. */
  static final CodePointSet LETTER;

  /** {@code [\p{N}]} of the {@code regex} module. */
  static final CodePointSet NUMBER;

  /** Code points no branch of the pre-tokenizer pattern matches (they are skipped). */
  static final CodePointSet UNMATCHED;

  /** {@code \s} of the {@code regex} module (excludes U+001C..U+001F, unlike Python's str). */
  static final CodePointSet REGEX_SPACE;

  /** Python's {@code str.isspace()}, which is also {@code \s} of the {@code re} module. */
  static final CodePointSet PY_SPACE;

  /** {@code \w} of the {@code re} module, without the underscore. */
  static final CodePointSet PY_WORD;

  /** {@code \d} of the {@code re} module. */
  static final CodePointSet PY_DECIMAL;

  /** Code points Python's {@code unicodedata} assigns (general category other than Cn). */
  static final CodePointSet PY_ASSIGNED;

  /** Case-ignorable code points, as Python's final-sigma rule uses them. */
  static final CodePointSet PY_CASE_IGNORABLE;

  /** Cased code points that are not case-ignorable, as Python's final-sigma rule uses them. */
  static final CodePointSet PY_CASED;

  /** Code points whose canonical decomposition starts with a combining mark (non-zero class). */
  static final CodePointSet PY_NFD_LEADING_MARK;

  private static final int[] CCC_STARTS;
  private static final int[] CCC_ENDS;
  private static final int[] CCC_VALUES;

  /** Python's {@code str.lower()} of each BMP code point that has a one-character mapping. */
  private static final char[] LOWER_BMP = new char[0x10000];

  private static final int[] LOWER_SUPPLEMENTARY_KEYS;
  private static final int[] LOWER_SUPPLEMENTARY_VALUES;
  private static final int[] LOWER_MULTI_KEYS;
  private static final String[] LOWER_MULTI_VALUES;

  static {
    Map<String, String> lines = readTable("unicode-tables.txt");
    LETTER = set(lines, "letter");
    NUMBER = set(lines, "number");
    UNMATCHED = set(lines, "unmatched");
    REGEX_SPACE = set(lines, "regex-space");
    PY_SPACE = set(lines, "py-space");
    PY_WORD = set(lines, "py-word");
    PY_DECIMAL = set(lines, "py-decimal");
    PY_ASSIGNED = set(lines, "py-assigned");
    PY_CASE_IGNORABLE = set(lines, "py-case-ignorable");
    PY_CASED = set(lines, "py-cased");
    PY_NFD_LEADING_MARK = set(lines, "py-nfd-leading-mark");

    String[] classes = require(lines, "py-ccc").split(" ");
    CCC_STARTS = new int[classes.length];
    CCC_ENDS = new int[classes.length];
    CCC_VALUES = new int[classes.length];
    for (int i = 0; i < classes.length; i++) {
      String item = classes[i];
      int colon = item.indexOf(':');
      int dash = item.indexOf('-');
      boolean range = dash >= 0 && dash < colon;
      CCC_STARTS[i] = Integer.parseInt(item, 0, range ? dash : colon, 16);
      CCC_ENDS[i] = range ? Integer.parseInt(item, dash + 1, colon, 16) : CCC_STARTS[i];
      CCC_VALUES[i] = Integer.parseInt(item, colon + 1, item.length(), 10);
    }

    for (int c = 0; c < LOWER_BMP.length; c++) {
      LOWER_BMP[c] = (char) c;
    }
    String[] mappings = require(lines, "py-lower").split(" ");
    int[] keys = new int[mappings.length];
    int[] values = new int[mappings.length];
    int supplementary = 0;
    int[] multiKeys = new int[mappings.length];
    String[] multiValues = new String[mappings.length];
    int multi = 0;
    for (String mapping : mappings) {
      int colon = mapping.indexOf(':');
      int from = Integer.parseInt(mapping, 0, colon, 16);
      String[] targets = mapping.substring(colon + 1).split("\\+");
      if (targets.length > 1) {
        StringBuilder lowered = new StringBuilder();
        for (String target : targets) {
          lowered.appendCodePoint(Integer.parseInt(target, 16));
        }
        multiKeys[multi] = from;
        multiValues[multi] = lowered.toString();
        multi++;
        continue;
      }
      int to = Integer.parseInt(targets[0], 16);
      if (from <= 0xFFFF && to <= 0xFFFF) {
        LOWER_BMP[from] = (char) to;
      } else {
        keys[supplementary] = from;
        values[supplementary] = to;
        supplementary++;
      }
    }
    LOWER_MULTI_KEYS = Arrays.copyOf(multiKeys, multi);
    LOWER_MULTI_VALUES = Arrays.copyOf(multiValues, multi);
    LOWER_SUPPLEMENTARY_KEYS = Arrays.copyOf(keys, supplementary);
    LOWER_SUPPLEMENTARY_VALUES = Arrays.copyOf(values, supplementary);
  }

  private UnicodeData() {}

  /**
   * Python's lower-case mapping of one code point outside the final-sigma rule, as a string when it
   * is longer than one code point, else {@code null}.
   */
  static @Nullable String lowerMulti(int codePoint) {
    int index = Arrays.binarySearch(LOWER_MULTI_KEYS, codePoint);
    return index >= 0 ? LOWER_MULTI_VALUES[index] : null;
  }

  /** Python's single-code-point lower-case mapping (identity when there is none). */
  static int lowerSingle(int codePoint) {
    if (codePoint <= 0xFFFF) {
      return LOWER_BMP[codePoint];
    }
    int index = Arrays.binarySearch(LOWER_SUPPLEMENTARY_KEYS, codePoint);
    return index >= 0 ? LOWER_SUPPLEMENTARY_VALUES[index] : codePoint;
  }

  /** Python's {@code unicodedata.combining}: the canonical combining class, 0 for starters. */
  static int combiningClass(int codePoint) {
    int index = Arrays.binarySearch(CCC_STARTS, codePoint);
    if (index >= 0) {
      return CCC_VALUES[index];
    }
    int range = -index - 2;
    return range >= 0 && codePoint <= CCC_ENDS[range] ? CCC_VALUES[range] : 0;
  }

  private static CodePointSet set(Map<String, String> lines, String name) {
    return CodePointSet.parseRanges(require(lines, name));
  }

  private static String require(Map<String, String> lines, String name) {
    String value = lines.get(name);
    if (value == null) {
      throw new IllegalStateException("unicode-tables.txt has no line '" + name + "'");
    }
    return value;
  }

  /** Reads a generated table of {@code name value...} lines, skipping {@code #} comments. */
  static Map<String, String> readTable(String resource) {
    Map<String, String> lines = new HashMap<>();
    try (InputStream in = UnicodeData.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing class-path resource t2i/clip/" + resource);
      }
      BufferedReader reader =
          new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        int space = line.indexOf(' ');
        lines.put(
            space < 0 ? line : line.substring(0, space),
            space < 0 ? "" : line.substring(space + 1));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read class-path resource t2i/clip/" + resource, e);
    }
    return lines;
  }
}
