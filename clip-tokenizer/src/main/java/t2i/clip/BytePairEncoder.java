package t2i.clip;

import java.util.Arrays;

/**
 * Byte-pair encoding of one word as CLIP's reference performs it: the word's bytes become symbols
 * (the last one carrying {@code </w>}), then the pair with the lowest merge rank is merged at every
 * non-overlapping occurrence, left to right, until no pair has a rank.
 *
 * <p>Short words use that procedure directly. Long words use a linked list and a priority queue
 * ordered by (rank, position), so a word of n bytes costs O(n log n): all occurrences of one rank
 * are merged left to right before any pair of lower rank that those merges create, exactly as the
 * reference's pass over the word does.
 *
 * <p>Symbols are vocabulary ids; a byte whose symbol is missing from a small vocabulary is {@code
 * -(byte + 1)} and never merges. Results are cached per word. Thread-safe.
 */
final class BytePairEncoder {

  /** Words of more symbols than this use the priority-queue algorithm. */
  static final int SIMPLE_LIMIT = 48;

  private static final int DEAD = Integer.MIN_VALUE;

  private final int[] byteSymbols;
  private final int[] lastByteSymbols;
  private final MergeTable merges;
  private final WordCache cache = new WordCache(1 << 14);

  /**
   * @param byteSymbols the symbol of each byte inside a word
   * @param lastByteSymbols the symbol of each byte ending a word (with {@code </w>})
   */
  BytePairEncoder(int[] byteSymbols, int[] lastByteSymbols, MergeTable merges) {
    this.byteSymbols = byteSymbols.clone();
    this.lastByteSymbols = lastByteSymbols.clone();
    this.merges = merges;
  }

  /** The symbols of the word {@code utf8[start, end)}; the returned array must not be modified. */
  int[] encode(byte[] utf8, int start, int end) {
    int hash = WordCache.hash(utf8, start, end);
    int[] cached = cache.get(utf8, start, end, hash);
    if (cached != null) {
      return cached;
    }
    int[] symbols = initialSymbols(utf8, start, end);
    int[] merged = symbols.length <= SIMPLE_LIMIT ? mergeSimply(symbols) : mergeWithQueue(symbols);
    cache.put(utf8, start, end, hash, merged);
    return merged;
  }

  int[] initialSymbols(byte[] utf8, int start, int end) {
    int[] symbols = new int[end - start];
    for (int i = start; i < end - 1; i++) {
      symbols[i - start] = byteSymbols[utf8[i] & 0xFF];
    }
    symbols[end - start - 1] = lastByteSymbols[utf8[end - 1] & 0xFF];
    return symbols;
  }

  /** The reference's procedure; quadratic, for short words. Works in place. */
  int[] mergeSimply(int[] symbols) {
    int n = symbols.length;
    while (n > 1) {
      int bestSlot = -1;
      int bestRank = Integer.MAX_VALUE;
      int left = 0;
      int right = 0;
      for (int i = 0; i < n - 1; i++) {
        int slot = merges.find(symbols[i], symbols[i + 1]);
        if (slot >= 0 && merges.rankAt(slot) < bestRank) {
          bestSlot = slot;
          bestRank = merges.rankAt(slot);
          left = symbols[i];
          right = symbols[i + 1];
        }
      }
      if (bestSlot < 0) {
        break;
      }
      int merged = merges.resultAt(bestSlot);
      int written = 0;
      for (int i = 0; i < n; ) {
        if (i < n - 1 && symbols[i] == left && symbols[i + 1] == right) {
          symbols[written++] = merged;
          i += 2;
        } else {
          symbols[written++] = symbols[i++];
        }
      }
      n = written;
    }
    return n == symbols.length ? symbols : Arrays.copyOf(symbols, n);
  }

  /** The same result as {@link #mergeSimply} in O(n log n), for long words. */
  int[] mergeWithQueue(int[] symbols) {
    int n = symbols.length;
    int[] symbol = symbols.clone();
    int[] prev = new int[n];
    int[] next = new int[n];
    for (int i = 0; i < n; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    LongHeap queue = new LongHeap(n);
    LongHeap deferred = new LongHeap(16);
    for (int i = 0; i + 1 < n; i++) {
      int slot = merges.find(symbol[i], symbol[i + 1]);
      if (slot >= 0) {
        queue.push(entry(merges.rankAt(slot), i));
      }
    }
    long currentRank = -1;
    while (!queue.isEmpty() || !deferred.isEmpty()) {
      if (!deferred.isEmpty() && (queue.isEmpty() || rankOf(queue.peek()) != currentRank)) {
        // The pass for the current rank is over: pairs it created may now merge.
        while (!deferred.isEmpty()) {
          queue.push(deferred.pop());
        }
        currentRank = -1;
        continue;
      }
      long top = queue.pop();
      int pos = (int) top;
      int right = next[pos];
      if (symbol[pos] == DEAD || right < 0) {
        continue;
      }
      int slot = merges.find(symbol[pos], symbol[right]);
      if (slot < 0 || merges.rankAt(slot) != rankOf(top)) {
        continue;
      }
      currentRank = rankOf(top);
      symbol[pos] = merges.resultAt(slot);
      symbol[right] = DEAD;
      next[pos] = next[right];
      if (next[right] >= 0) {
        prev[next[right]] = pos;
      }
      if (prev[pos] >= 0) {
        schedule(symbol, prev[pos], pos, currentRank, queue, deferred);
      }
      if (next[pos] >= 0) {
        schedule(symbol, pos, next[pos], currentRank, queue, deferred);
      }
    }
    int[] merged = new int[n];
    int count = 0;
    for (int i = 0; i >= 0; i = next[i]) {
      merged[count++] = symbol[i];
    }
    return Arrays.copyOf(merged, count);
  }

  private void schedule(
      int[] symbol, int left, int right, long currentRank, LongHeap queue, LongHeap deferred) {
    int slot = merges.find(symbol[left], symbol[right]);
    if (slot < 0) {
      return;
    }
    long entry = entry(merges.rankAt(slot), left);
    if (merges.rankAt(slot) < currentRank) {
      deferred.push(entry);
    } else {
      queue.push(entry);
    }
  }

  private static long entry(int rank, int position) {
    return ((long) rank << 32) | position;
  }

  private static long rankOf(long entry) {
    return entry >>> 32;
  }

  /** A binary min-heap of longs. */
  private static final class LongHeap {
    private long[] items;
    private int size;

    LongHeap(int capacity) {
      items = new long[Math.max(4, capacity)];
    }

    boolean isEmpty() {
      return size == 0;
    }

    long peek() {
      return items[0];
    }

    void push(long item) {
      if (size == items.length) {
        items = Arrays.copyOf(items, size * 2);
      }
      int i = size++;
      while (i > 0) {
        int parent = (i - 1) >>> 1;
        if (items[parent] <= item) {
          break;
        }
        items[i] = items[parent];
        i = parent;
      }
      items[i] = item;
    }

    long pop() {
      long top = items[0];
      long last = items[--size];
      int i = 0;
      while (true) {
        int child = 2 * i + 1;
        if (child >= size) {
          break;
        }
        if (child + 1 < size && items[child + 1] < items[child]) {
          child++;
        }
        if (items[child] >= last) {
          break;
        }
        items[i] = items[child];
        i = child;
      }
      if (size > 0) {
        items[i] = last;
      }
      return top;
    }
  }
}
