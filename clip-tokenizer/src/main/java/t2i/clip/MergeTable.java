package t2i.clip;

import java.util.Arrays;

/**
 * BPE merge ranks keyed by a pair of symbol ids packed into a long: an open-addressing table with
 * linear probing, so a lookup allocates nothing. Immutable after construction, so thread-safe once
 * published.
 */
final class MergeTable {

  private static final long EMPTY = -1L;

  private final long[] keys;
  private final int[] ranks;
  private final int[] results;
  private final int mask;
  private int size;

  MergeTable(int expectedPairs) {
    int capacity = Integer.highestOneBit(Math.max(4, expectedPairs * 2) - 1) << 1;
    keys = new long[capacity];
    ranks = new int[capacity];
    results = new int[capacity];
    mask = capacity - 1;
    Arrays.fill(keys, EMPTY);
  }

  private static long key(int left, int right) {
    return ((long) left << 32) | (right & 0xFFFFFFFFL);
  }

  private int slot(long key) {
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32)) & mask;
  }

  /** Adds or replaces the merge of {@code left right} into {@code result} with {@code rank}. */
  void put(int left, int right, int rank, int result) {
    if ((size + 1) * 2 > keys.length) {
      throw new IllegalStateException("merge table sized for fewer pairs");
    }
    long key = key(left, right);
    int i = slot(key);
    while (keys[i] != EMPTY && keys[i] != key) {
      i = (i + 1) & mask;
    }
    if (keys[i] == EMPTY) {
      size++;
    }
    keys[i] = key;
    ranks[i] = rank;
    results[i] = result;
  }

  /** The slot holding the pair, or -1 when the pair never merges. Symbols below 0 never merge. */
  int find(int left, int right) {
    if ((left | right) < 0) {
      return -1;
    }
    long key = key(left, right);
    for (int i = slot(key); ; i = (i + 1) & mask) {
      long k = keys[i];
      if (k == key) {
        return i;
      }
      if (k == EMPTY) {
        return -1;
      }
    }
  }

  int rankAt(int slot) {
    return ranks[slot];
  }

  int resultAt(int slot) {
    return results[slot];
  }

  int size() {
    return size;
  }
}
