package t2i.clip;

import java.util.Arrays;

/**
 * An immutable set of Unicode code points: a bitmap for the Basic Multilingual Plane and sorted
 * ranges above it. Thread-safe.
 */
final class CodePointSet {

  private final long[] bmpBits = new long[1 << 10];
  private final int[] supplementaryStarts;
  private final int[] supplementaryEnds;

  private CodePointSet(int[] starts, int[] ends) {
    int supplementary = 0;
    for (int i = 0; i < starts.length; i++) {
      for (int cp = starts[i]; cp <= Math.min(ends[i], 0xFFFF); cp++) {
        bmpBits[cp >>> 6] |= 1L << cp;
      }
      if (ends[i] > 0xFFFF) {
        supplementary++;
      }
    }
    supplementaryStarts = new int[supplementary];
    supplementaryEnds = new int[supplementary];
    int next = 0;
    for (int i = 0; i < starts.length; i++) {
      if (ends[i] > 0xFFFF) {
        supplementaryStarts[next] = Math.max(starts[i], 0x10000);
        supplementaryEnds[next] = ends[i];
        next++;
      }
    }
  }

  /** Parses space-separated hexadecimal code points and ranges such as {@code "41-5A 61"}. */
  static CodePointSet parseRanges(String ranges) {
    String[] items = ranges.isBlank() ? new String[0] : ranges.trim().split(" ");
    int[] starts = new int[items.length];
    int[] ends = new int[items.length];
    for (int i = 0; i < items.length; i++) {
      int dash = items[i].indexOf('-');
      if (dash < 0) {
        starts[i] = ends[i] = Integer.parseInt(items[i], 16);
      } else {
        starts[i] = Integer.parseInt(items[i], 0, dash, 16);
        ends[i] = Integer.parseInt(items[i], dash + 1, items[i].length(), 16);
      }
      if (i > 0 && starts[i] <= ends[i - 1]) {
        throw new IllegalArgumentException("ranges out of order at " + items[i]);
      }
    }
    return new CodePointSet(starts, ends);
  }

  /** A set of individual code points. */
  static CodePointSet of(int... codePoints) {
    int[] sorted = codePoints.clone();
    Arrays.sort(sorted);
    return new CodePointSet(sorted, sorted);
  }

  boolean contains(int codePoint) {
    if (codePoint <= 0xFFFF) {
      return codePoint >= 0 && (bmpBits[codePoint >>> 6] & (1L << codePoint)) != 0;
    }
    int index = Arrays.binarySearch(supplementaryStarts, codePoint);
    if (index >= 0) {
      return true;
    }
    int range = -index - 2;
    return range >= 0 && codePoint <= supplementaryEnds[range];
  }
}
