package t2i.clip;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;

/**
 * A bounded, thread-safe cache from a word's UTF-8 bytes to its BPE symbols. Direct-mapped: each
 * word has one slot and a newer word evicts the older one, so memory stays bounded (slots times the
 * longest cached word) with no locking. Entries are immutable and published through an atomic
 * array.
 */
final class WordCache {

  /** Words longer than this many bytes are not cached. */
  static final int MAX_WORD_BYTES = 64;

  // Entries are looked up by hash and compared with Arrays.equals on the word; record equality is
  // never used, and arrays keep the entries compact.
  @SuppressWarnings("ArrayRecordComponent")
  private record Entry(byte[] word, int hash, int[] symbols) {}

  private final AtomicReferenceArray<Entry> slots;
  private final int mask;

  WordCache(int slotCount) {
    if (Integer.bitCount(slotCount) != 1) {
      throw new IllegalArgumentException("slotCount must be a power of two: " + slotCount);
    }
    slots = new AtomicReferenceArray<>(slotCount);
    mask = slotCount - 1;
  }

  static int hash(byte[] bytes, int start, int end) {
    int h = 0x811C9DC5;
    for (int i = start; i < end; i++) {
      h = (h ^ bytes[i]) * 0x01000193;
    }
    return h ^ (h >>> 15);
  }

  /** The cached symbols of the word, or {@code null}. The array must not be modified. */
  int @Nullable [] get(byte[] bytes, int start, int end, int hash) {
    Entry entry = slots.getAcquire(hash & mask);
    if (entry != null
        && entry.hash == hash
        && Arrays.equals(entry.word, 0, entry.word.length, bytes, start, end)) {
      return entry.symbols;
    }
    return null;
  }

  void put(byte[] bytes, int start, int end, int hash, int[] symbols) {
    if (end - start <= MAX_WORD_BYTES) {
      slots.setRelease(
          hash & mask, new Entry(Arrays.copyOfRange(bytes, start, end), hash, symbols));
    }
  }
}
