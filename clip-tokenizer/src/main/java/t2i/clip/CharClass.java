package t2i.clip;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * A small immutable set of characters written as a regular-expression character class body, such as
 * {@code "a-zß"}: a '-' between two characters makes a range. Used for the few hundred characters
 * of ftfy's mojibake heuristics, almost all below U+2600, which a bitmap answers directly.
 * Thread-safe.
 */
final class CharClass implements IntPredicate {

  /** Code points below this are answered from the bitmap. */
  static final int BITMAP_LIMIT = 0x2600;

  private final int[] starts;
  private final int[] ends;
  private final long[] bitmap = new long[BITMAP_LIMIT >>> 6];

  private CharClass(int[] starts, int[] ends) {
    this.starts = starts;
    this.ends = ends;
    for (int i = 0; i < starts.length; i++) {
      for (int cp = starts[i]; cp <= ends[i] && cp < BITMAP_LIMIT; cp++) {
        bitmap[cp >>> 6] |= 1L << cp;
      }
    }
  }

  static CharClass of(String body) {
    int[] codePoints = body.codePoints().toArray();
    int[][] ranges = new int[codePoints.length][];
    int count = 0;
    for (int i = 0; i < codePoints.length; i++) {
      if (i + 2 < codePoints.length && codePoints[i + 1] == '-') {
        ranges[count++] = new int[] {codePoints[i], codePoints[i + 2]};
        i += 2;
      } else {
        ranges[count++] = new int[] {codePoints[i], codePoints[i]};
      }
    }
    return fromRanges(Arrays.copyOf(ranges, count));
  }

  /** The union of several classes. */
  static CharClass union(CharClass... classes) {
    int total = 0;
    for (CharClass c : classes) {
      total += c.starts.length;
    }
    int[][] ranges = new int[total][];
    int count = 0;
    for (CharClass c : classes) {
      for (int i = 0; i < c.starts.length; i++) {
        ranges[count++] = new int[] {c.starts[i], c.ends[i]};
      }
    }
    return fromRanges(ranges);
  }

  private static CharClass fromRanges(int[][] ranges) {
    Arrays.sort(ranges, (a, b) -> Integer.compare(a[0], b[0]));
    int[] starts = new int[ranges.length];
    int[] ends = new int[ranges.length];
    int count = 0;
    for (int[] range : ranges) {
      if (count > 0 && range[0] <= ends[count - 1] + 1) {
        ends[count - 1] = Math.max(ends[count - 1], range[1]);
      } else {
        starts[count] = range[0];
        ends[count] = range[1];
        count++;
      }
    }
    return new CharClass(Arrays.copyOf(starts, count), Arrays.copyOf(ends, count));
  }

  @Override
  public boolean test(int codePoint) {
    if (codePoint < BITMAP_LIMIT) {
      return codePoint >= 0 && (bitmap[codePoint >>> 6] & (1L << codePoint)) != 0;
    }
    int index = Arrays.binarySearch(starts, codePoint);
    if (index >= 0) {
      return true;
    }
    int range = -index - 2;
    return range >= 0 && codePoint <= ends[range];
  }
}
