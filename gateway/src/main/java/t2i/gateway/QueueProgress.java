package t2i.gateway;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.TopicPartition;

/**
 * Where a stage stands in each partition of the topic it reads, as last measured, and how fast it
 * takes records up while records wait for it.
 *
 * <p>The rate is the stage's, over all its partitions at once, and comes only from its current run
 * of work: the measurements since it last had nothing waiting. Work from before an idle spell may
 * have been another kind of job (more steps, bigger images) or a worker that was stopping, and
 * would mislead the estimate for the seconds it stayed in view. Of the current run only the newest
 * {@code recentBusy} counts, so that the rate follows a stage that speeds up or slows down (a
 * worker warming up, a neighbour that stops taking the CPU) within seconds. A partition's rate
 * alone would be no guide: the consumer takes up one partition's records in a bunch, then
 * another's.
 *
 * <p>Bounded: each topic keeps at most {@code maxIntervals}. Thread-safe.
 */
final class QueueProgress {

  /** One measurement of a partition: records from {@code next} to {@code end} wait. */
  record Sample(TopicPartition partition, long next, long end) {}

  /**
   * A waiting record's place: about how many records the stage takes up before it, as last
   * measured, and when it should take it up; no start while the stage has no rate yet.
   */
  record Place(long recordsAhead, OptionalLong startMillis) {}

  private final Map<TopicPartition, Sample> lastSample = new ConcurrentHashMap<>();
  private final Map<String, Run> runs = new ConcurrentHashMap<>();
  private final int maxIntervals;
  private final long minBusyMillis;
  private final long recentBusyMillis;

  /**
   * @param minBusy how long the current run must have lasted before its rate counts: a rate from
   *     the first second of a burst says more about when the measurements fell than about the stage
   * @param recentBusy how much of the current run's newest time the rate is taken over, at least
   *     {@code minBusy}
   */
  QueueProgress(int maxIntervals, Duration minBusy, Duration recentBusy) {
    if (recentBusy.compareTo(minBusy) < 0) {
      throw new IllegalArgumentException(
          "recentBusy (" + recentBusy + ") must be at least minBusy (" + minBusy + ")");
    }
    if (maxIntervals < 1) {
      throw new IllegalArgumentException("maxIntervals must be positive, was " + maxIntervals);
    }
    this.maxIntervals = maxIntervals;
    this.minBusyMillis = Math.max(1, minBusy.toMillis());
    this.recentBusyMillis = Math.max(1, recentBusy.toMillis());
  }

  /**
   * Records one measurement of every partition of {@code topic}, all taken at {@code atMillis}. A
   * partition seen for the first time adds nothing to what the stage took up.
   */
  void record(String topic, Collection<Sample> partitions, long atMillis) {
    long takenUp = 0;
    long waiting = 0;
    for (Sample sample : partitions) {
      Sample before = lastSample.put(sample.partition(), sample);
      if (before != null) {
        takenUp += Math.max(0, sample.next() - before.next());
      }
      waiting += Math.max(0, sample.end() - sample.next());
    }
    runs.computeIfAbsent(topic, t -> new Run()).record(atMillis, takenUp, waiting > 0);
  }

  /** The offset the stage takes up next from the partition, as last measured. */
  OptionalLong next(TopicPartition partition) {
    Sample last = lastSample.get(partition);
    return last == null ? OptionalLong.empty() : OptionalLong.of(last.next());
  }

  /**
   * The place of the record at {@code offset} of {@code own}, among all the {@code partitions} of
   * its topic; empty while its partition was never measured. A stage takes its partitions up side
   * by side, not one after the other, so the records ahead are estimated over all of them: the
   * record is {@code k} behind the next one taken up in its partition, where {@code w} wait, and of
   * every partition about the same share {@code (k + 1) / w} of what waits there is taken up before
   * it.
   *
   * <p>The start counts from when the stage's queue was measured, not from {@code nowMillis}: the
   * stage went on taking records up since, and counting from now would make each record wait for
   * those twice. A start that has already passed, for a record still waiting, is now.
   */
  Optional<Place> placeOf(
      TopicPartition own, long offset, List<TopicPartition> partitions, long nowMillis) {
    Sample sample = lastSample.get(own);
    if (sample == null) {
      return Optional.empty();
    }
    long behind = Math.max(0, offset - sample.next());
    double share = (behind + 1.0) / Math.max(behind + 1, waiting(own));
    double ahead = behind;
    for (TopicPartition partition : partitions) {
      if (!partition.equals(own)) {
        ahead += Math.floor(waiting(partition) * share);
      }
    }
    long recordsAhead = Math.round(ahead);
    if (recordsAhead == 0) {
      return Optional.of(new Place(0, OptionalLong.of(nowMillis)));
    }
    Run run = runs.get(own.topic());
    OptionalLong start = run == null ? OptionalLong.empty() : run.startOf(recordsAhead);
    return Optional.of(
        new Place(
            recordsAhead,
            start.isEmpty() ? start : OptionalLong.of(Math.max(nowMillis, start.getAsLong()))));
  }

  /** Records that wait in the partition, as last measured. */
  long waiting(TopicPartition partition) {
    Sample last = lastSample.get(partition);
    return last == null ? 0 : Math.max(0, last.end() - last.next());
  }

  /**
   * Records the stage reading {@code topic} took up per second over the newest {@code recentBusy}
   * of its current run of work; empty until that run has lasted {@code minBusy}, and while nothing
   * waits.
   */
  OptionalDouble perSecond(String topic) {
    Run run = runs.get(topic);
    return run == null ? OptionalDouble.empty() : run.perSecond();
  }

  /** A stage's current run of work, as intervals between measurements, newest last. */
  private final class Run {

    private record Interval(long millis, long takenUp) {}

    private final ArrayDeque<Interval> intervals = new ArrayDeque<>();
    private long busyMillis;
    private long takenUp;
    private long lastAtMillis = -1;
    private boolean lastBacklogged;

    synchronized void record(long atMillis, long takenUpSinceLast, boolean backlogged) {
      // An interval is work when records waited as it began.
      if (lastAtMillis >= 0 && lastBacklogged && atMillis > lastAtMillis) {
        add(new Interval(atMillis - lastAtMillis, takenUpSinceLast));
      }
      if (!backlogged) {
        intervals.clear();
        busyMillis = 0;
        takenUp = 0;
      }
      lastAtMillis = atMillis;
      lastBacklogged = backlogged;
    }

    private void add(Interval interval) {
      intervals.addLast(interval);
      busyMillis += interval.millis();
      takenUp += interval.takenUp();
      while (intervals.size() > maxIntervals
          || busyMillis - intervals.getFirst().millis() >= recentBusyMillis) {
        Interval oldest = intervals.removeFirst();
        busyMillis -= oldest.millis();
        takenUp -= oldest.takenUp();
      }
    }

    /**
     * When the stage should take up the record that many records behind the next, counted from its
     * last measurement at its rate; empty while it has no rate.
     */
    synchronized OptionalLong startOf(long recordsAhead) {
      OptionalDouble rate = perSecond();
      return rate.isEmpty() || rate.getAsDouble() <= 0
          ? OptionalLong.empty()
          : OptionalLong.of(lastAtMillis + Math.round(recordsAhead * 1000 / rate.getAsDouble()));
    }

    synchronized OptionalDouble perSecond() {
      return busyMillis < minBusyMillis
          ? OptionalDouble.empty()
          : OptionalDouble.of(takenUp * 1000.0 / busyMillis);
    }
  }
}
