package t2i.gateway;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;

/**
 * How far each partition's stage has taken up records, and how fast it moves while it has work,
 * from the measurements the backlog monitor takes over the last {@code window}. Only the time the
 * partition had records waiting counts: an idle stage is not a slow one. Of that time only the
 * newest {@code recentBusy} counts, so that the rate follows a stage that speeds up or slows down
 * (a worker warming up, a neighbour that stops taking the CPU) within seconds. Bounded: each
 * partition keeps at most {@code maxSamples}. Thread-safe.
 */
final class PartitionRates {

  /**
   * @param end the log's end: records from next to end wait
   */
  private record Sample(long atMillis, long next, long end) {

    boolean backlogged() {
      return end > next;
    }
  }

  private final Map<TopicPartition, Deque<Sample>> samples = new ConcurrentHashMap<>();
  private final long windowMillis;
  private final int maxSamples;
  private final long minBusyMillis;
  private final long recentBusyMillis;

  /**
   * @param minBusy how long a partition must have had work before its rate counts: a rate from the
   *     first second of a burst says more about when the measurements fell than about the stage
   * @param recentBusy how much of the newest busy time the rate is taken over, at least {@code
   *     minBusy}
   */
  PartitionRates(Duration window, int maxSamples, Duration minBusy, Duration recentBusy) {
    if (recentBusy.compareTo(minBusy) < 0) {
      throw new IllegalArgumentException(
          "recentBusy (" + recentBusy + ") must be at least minBusy (" + minBusy + ")");
    }
    this.windowMillis = window.toMillis();
    this.maxSamples = maxSamples;
    this.minBusyMillis = Math.max(1, minBusy.toMillis());
    this.recentBusyMillis = Math.max(1, recentBusy.toMillis());
  }

  /**
   * @param next the offset the stage takes up next
   * @param end the offset the next record written gets
   */
  void record(TopicPartition partition, long next, long end, long atMillis) {
    Deque<Sample> history = samples.computeIfAbsent(partition, p -> new ArrayDeque<>());
    synchronized (history) {
      history.addLast(new Sample(atMillis, next, end));
      while (history.size() > maxSamples
          || (history.size() > 2 && atMillis - history.getFirst().atMillis() > windowMillis)) {
        history.removeFirst();
      }
    }
  }

  /** The offset the stage takes up next from the partition, as last measured. */
  OptionalLong next(TopicPartition partition) {
    Deque<Sample> history = samples.get(partition);
    if (history == null) {
      return OptionalLong.empty();
    }
    synchronized (history) {
      Sample last = history.peekLast();
      return last == null ? OptionalLong.empty() : OptionalLong.of(last.next());
    }
  }

  /** Records that wait in the partition, as last measured. */
  long waiting(TopicPartition partition) {
    Deque<Sample> history = samples.get(partition);
    if (history == null) {
      return 0;
    }
    synchronized (history) {
      Sample last = history.peekLast();
      return last == null ? 0 : Math.max(0, last.end() - last.next());
    }
  }

  /**
   * Records the stage took up from the partition per second of the newest {@code recentBusy} of the
   * window's time in which records waited there; empty until it has had work for {@code minBusy}.
   */
  OptionalDouble perSecond(TopicPartition partition) {
    Deque<Sample> history = samples.get(partition);
    if (history == null) {
      return OptionalDouble.empty();
    }
    long moved = 0;
    long busyMillis = 0;
    synchronized (history) {
      // Newest first: each sample closes the interval that its predecessor opened.
      @Nullable Sample later = null;
      for (Iterator<Sample> samples = history.descendingIterator();
          samples.hasNext() && busyMillis < recentBusyMillis; ) {
        Sample sample = samples.next();
        if (later != null && sample.backlogged()) {
          moved += later.next() - sample.next();
          busyMillis += later.atMillis() - sample.atMillis();
        }
        later = sample;
      }
    }
    return busyMillis < minBusyMillis
        ? OptionalDouble.empty()
        : OptionalDouble.of(moved * 1000.0 / busyMillis);
  }
}
