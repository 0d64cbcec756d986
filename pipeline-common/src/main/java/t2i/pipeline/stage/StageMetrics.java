package t2i.pipeline.stage;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.TopicPartition;
import t2i.pipeline.telemetry.Buckets;

/**
 * The meters every pipeline stage has, tagged with its stage: what it consumed, how long records
 * waited and took, what it retried, parked, skipped and failed, what is in flight, which partitions
 * are paused, and each partition's lag. Every counter exists from the start (at zero), so that
 * alerts see a rate of 0, not an absent series. Thread-safe: the stage's consumer threads and
 * completion threads all record here.
 */
final class StageMetrics {

  private final String stage;
  private final MeterRegistry registry;
  private final Counter polls;
  private final Counter records;
  private final Timer queueWait;
  private final Timer handling;
  private final Counter transientRetries;
  private final Counter unexpectedRetries;
  private final Counter deadLetters;
  private final Counter skippedEnded;
  private final Counter skippedDuplicate;
  private final Counter failedPermanent;
  private final Counter failedExpired;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger pausedPartitions = new AtomicInteger();
  private final ConcurrentMap<TopicPartition, Lag> lags = new ConcurrentHashMap<>();

  private StageMetrics(MeterRegistry registry, String stage) {
    this.stage = stage;
    this.registry = registry;
    Tags tags = Tags.of("stage", stage);
    polls =
        Counter.builder("t2i.stage.polls")
            .description("Polls of the stage's consumers; a rate of 0 means a stuck consumer")
            .tags(tags)
            .register(registry);
    records =
        Counter.builder("t2i.stage.records")
            .description("Records the stage consumed")
            .tags(tags)
            .register(registry);
    queueWait =
        Buckets.latency(
                "t2i.stage.queue.wait",
                "Time from a record's write to the start of the stage's work on it")
            .tags(tags)
            .register(registry);
    handling =
        Buckets.latency(
                "t2i.stage.handling", "Time the stage's work on a record took, when it ended")
            .tags(tags)
            .register(registry);
    transientRetries = counter("t2i.stage.retries", RETRIES, tags, "kind", "transient");
    unexpectedRetries = counter("t2i.stage.retries", RETRIES, tags, "kind", "unexpected");
    deadLetters =
        Counter.builder("t2i.stage.dead.letters")
            .description("Records the stage parked in the dead-letter topic")
            .tags(tags)
            .register(registry);
    skippedEnded = counter("t2i.stage.skips", SKIPS, tags, "reason", "ended");
    skippedDuplicate = counter("t2i.stage.skips", SKIPS, tags, "reason", "duplicate");
    failedPermanent = counter("t2i.stage.jobs.ended", FAILURES, tags, "outcome", "failed");
    failedExpired = counter("t2i.stage.jobs.ended", FAILURES, tags, "outcome", "expired");
    Gauge.builder("t2i.stage.in.flight", inFlight, AtomicInteger::get)
        .description("Records the stage works on now")
        .tags(tags)
        .register(registry);
    Gauge.builder("t2i.stage.partitions.paused", pausedPartitions, AtomicInteger::get)
        .description(
            "Partitions the stage holds back (at its in-flight bound, or waiting out a fault)")
        .tags(tags)
        .register(registry);
  }

  /** The meters of {@code stage}, registered in {@code registry}. */
  public static StageMetrics create(MeterRegistry registry, String stage) {
    return new StageMetrics(registry, stage);
  }

  private static final String RETRIES =
      "Attempts at a record repeated after a failure, by kind of failure";
  private static final String SKIPS =
      "Records the stage did not work on: the job had ended, or was already past the stage";
  private static final String FAILURES =
      "Jobs this stage ended without success: failed for their own reason, or expired";

  /** One series of a counter that a tag splits. */
  private Counter counter(String name, String description, Tags tags, String key, String value) {
    return Counter.builder(name)
        .description(description)
        .tags(tags.and(key, value))
        .register(registry);
  }

  public String stage() {
    return stage;
  }

  public void polled() {
    polls.increment();
  }

  public void consumed() {
    records.increment();
  }

  public void queueWait(Duration wait) {
    queueWait.record(wait.isNegative() ? Duration.ZERO : wait);
  }

  public void handled(long nanos) {
    handling.record(nanos, TimeUnit.NANOSECONDS);
  }

  public void retriedTransient() {
    transientRetries.increment();
  }

  public void retriedUnexpected() {
    unexpectedRetries.increment();
  }

  public void deadLettered() {
    deadLetters.increment();
  }

  public void skippedEnded() {
    skippedEnded.increment();
  }

  public void skippedDuplicate() {
    skippedDuplicate.increment();
  }

  public void failed() {
    failedPermanent.increment();
  }

  public void expired() {
    failedExpired.increment();
  }

  /** Adds a consumer's change in records in flight. */
  public void inFlightChanged(int delta) {
    inFlight.addAndGet(delta);
  }

  /** Adds a consumer's change in paused partitions. */
  public void pausedChanged(int delta) {
    pausedPartitions.addAndGet(delta);
  }

  /** Records a partition's lag as its consumer last saw it; {@code owner} names that consumer. */
  public void lag(TopicPartition partition, String owner, long lag) {
    Lag entry =
        lags.compute(
            partition,
            (tp, existing) -> {
              if (existing != null) {
                existing.owner = owner;
                return existing;
              }
              return new Lag(owner, tp);
            });
    entry.value.set(lag);
  }

  /** A consumer gave the partition up: its lag is no longer this process's to report. */
  public void forgetLag(TopicPartition partition, String owner) {
    lags.computeIfPresent(
        partition,
        (tp, existing) -> {
          if (!existing.owner.equals(owner)) {
            return existing;
          }
          registry.remove(existing.gauge);
          return null;
        });
  }

  private final class Lag {
    volatile String owner;
    final AtomicLong value = new AtomicLong();
    final Gauge gauge;

    Lag(String owner, TopicPartition tp) {
      this.owner = owner;
      this.gauge =
          Gauge.builder("t2i.stage.consumer.lag", value, AtomicLong::get)
              .description(
                  "Records in the partition not yet consumed by this stage, as this process saw")
              .baseUnit("records")
              .tags(
                  Tags.of(
                      "stage",
                      stage,
                      "topic",
                      tp.topic(),
                      "partition",
                      Integer.toString(tp.partition())))
              .register(registry);
    }
  }
}
