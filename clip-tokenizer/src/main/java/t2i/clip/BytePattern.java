package t2i.clip;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * A byte-level regular expression made of fixed-length branches of byte ranges, tried in order at
 * each position as Python's engine does. Immutable and thread-safe.
 */
final class BytePattern {

  /** branches[b][k] = {lo, hi, lo, hi, ...}: the byte ranges element k of branch b accepts. */
  private final int[][][] branches;

  private BytePattern(int[][][] branches) {
    this.branches = branches;
  }

  /**
   * Builds a pattern from branches written as arrays of elements. Each element is a string whose
   * characters are byte values (U+0000..U+00FF); "x-y" between two of them is a range.
   */
  static BytePattern of(String[]... branches) {
    int[][][] compiled = new int[branches.length][][];
    for (int b = 0; b < branches.length; b++) {
      compiled[b] = new int[branches[b].length][];
      for (int k = 0; k < branches[b].length; k++) {
        compiled[b][k] = ranges(branches[b][k]);
      }
    }
    return new BytePattern(compiled);
  }

  private static int[] ranges(String element) {
    int[] out = new int[element.length() * 2];
    int count = 0;
    for (int i = 0; i < element.length(); i++) {
      int lo = element.charAt(i);
      int hi = lo;
      if (i + 2 < element.length() && element.charAt(i + 1) == '-') {
        hi = element.charAt(i + 2);
        i += 2;
      }
      out[count++] = lo;
      out[count++] = hi;
    }
    return Arrays.copyOf(out, count);
  }

  /** Length of the first branch matching at {@code at}, or -1. */
  int matchAt(byte[] bytes, int at) {
    for (int[][] branch : branches) {
      if (at + branch.length <= bytes.length && branchMatches(branch, bytes, at)) {
        return branch.length;
      }
    }
    return -1;
  }

  private static boolean branchMatches(int[][] branch, byte[] bytes, int at) {
    for (int k = 0; k < branch.length; k++) {
      int b = bytes[at + k] & 0xFF;
      boolean ok = false;
      for (int r = 0; r < branch[k].length && !ok; r += 2) {
        ok = b >= branch[k][r] && b <= branch[k][r + 1];
      }
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** Whether the pattern matches anywhere. */
  boolean search(byte[] bytes) {
    for (int i = 0; i < bytes.length; i++) {
      if (matchAt(bytes, i) > 0) {
        return true;
      }
    }
    return false;
  }

  /** Rewrites one match (given the bytes and the match bounds) into the output. */
  interface Replacement {
    void write(byte[] bytes, int start, int end, ByteArrayOutputStream out);
  }

  /** Python's {@code pattern.sub(replacement, bytes)}. */
  byte[] replaceAll(byte[] bytes, Replacement replacement) {
    ByteArrayOutputStream out = null;
    int copied = 0;
    for (int i = 0; i < bytes.length; ) {
      int length = matchAt(bytes, i);
      if (length < 0) {
        i++;
        continue;
      }
      if (out == null) {
        out = new ByteArrayOutputStream(bytes.length + 16);
      }
      out.write(bytes, copied, i - copied);
      replacement.write(bytes, i, i + length, out);
      i += length;
      copied = i;
    }
    if (out == null) {
      return bytes;
    }
    out.write(bytes, copied, bytes.length - copied);
    return out.toByteArray();
  }
}
