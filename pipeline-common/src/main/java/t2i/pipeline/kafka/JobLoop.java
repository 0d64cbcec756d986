package t2i.pipeline.kafka;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jboss.logging.Logger;

/**
 * The consume-handle-commit loop of a pipeline stage, written as the {@code KafkaConsumer} Javadoc
 * prescribes: one consumer, touched only by the thread running {@link #run()}; {@link #close()}
 * from any thread sets a flag and calls {@code wakeup()}; offsets are committed by hand and only
 * for records whose outputs are acknowledged, in offset order per partition (at-least-once).
 *
 * <p>Work is asynchronous: the handler returns a completion stage, so several records can be in
 * flight. At most {@code maxInFlight} are; while the loop is at its bound, it pauses its partitions
 * and keeps polling, so the group does not evict it however long the work takes.
 *
 * <p>A record that cannot be decoded goes straight to the failure sink (poison pill). A record
 * whose handling fails is retried {@code maxAttempts - 1} times with doubling backoff, then handed
 * to the failure sink. Either way its offset is committed only once the sink has acknowledged it.
 *
 * <p>Owns its consumer and closes it when {@link #run()} returns.
 */
public final class JobLoop<T> implements Runnable {

  private static final Logger LOG = Logger.getLogger(JobLoop.class);

  private final String name;
  private final String topic;
  private final Consumer<String, byte[]> consumer;
  private final Parser<T> parser;
  private final JobHandler<T> handler;
  private final RecordFailureSink failureSink;
  private final int maxInFlight;
  private final int maxPollRecords;
  private final int maxAttempts;
  private final Duration retryBackoff;
  private final Duration pollTimeout;
  private final Duration shutdownGrace;
  private final LongSupplier nanoTime;

  private final AtomicBoolean closed = new AtomicBoolean();
  private final Map<TopicPartition, ArrayDeque<InFlight<T>>> inFlight = new HashMap<>();
  private int inFlightCount;
  private boolean paused;

  private JobLoop(Builder<T> b) {
    this.name = b.name;
    this.topic = b.topic;
    this.consumer = b.consumer;
    this.parser = b.parser;
    this.handler = b.handler;
    this.failureSink = b.failureSink;
    this.maxInFlight = b.maxInFlight;
    this.maxPollRecords = b.maxPollRecords;
    this.maxAttempts = b.maxAttempts;
    this.retryBackoff = b.retryBackoff;
    this.pollTimeout = b.pollTimeout;
    this.shutdownGrace = b.shutdownGrace;
    this.nanoTime = b.nanoTime;
  }

  public static <T> Builder<T> builder() {
    return new Builder<>();
  }

  /**
   * Runs until {@link #close()} is called; then finishes in-flight work within the grace period.
   */
  @Override
  public void run() {
    try {
      consumer.subscribe(List.of(topic), new Rebalance());
      while (!closed.get()) {
        ConsumerRecords<String, byte[]> records = consumer.poll(pollTimeout);
        for (ConsumerRecord<String, byte[]> record : records) {
          start(record);
        }
        settle();
        commitCompleted(false);
        applyBackpressure();
      }
    } catch (WakeupException e) {
      if (!closed.get()) {
        throw e;
      }
    } catch (RuntimeException e) {
      LOG.errorf(e, "[%s] consumer loop on %s stopped by an unexpected error", name, topic);
      throw e;
    } finally {
      try {
        drainInFlight();
      } finally {
        consumer.close();
        LOG.debugf("[%s] consumer closed", name);
      }
    }
  }

  /** Asks the loop to stop; safe from any thread. {@link #run()} returns after draining. */
  public void close() {
    if (closed.compareAndSet(false, true)) {
      consumer.wakeup();
    }
  }

  /** Records currently in flight (for tests and metrics); loop thread only. */
  int inFlightCount() {
    return inFlightCount;
  }

  private void start(ConsumerRecord<String, byte[]> record) {
    TopicPartition tp = new TopicPartition(record.topic(), record.partition());
    InFlight<T> entry = new InFlight<>(record);
    inFlight.computeIfAbsent(tp, k -> new ArrayDeque<>()).addLast(entry);
    inFlightCount++;
    try {
      entry.value = parser.parseFrom(record.value());
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      LOG.errorf(
          e,
          "[%s] undecodable record at %s-%d offset %d (key %s): moving it to the dead letters",
          name,
          record.topic(),
          record.partition(),
          record.offset(),
          record.key());
      giveUp(entry, e);
      return;
    }
    dispatch(entry);
  }

  private void dispatch(InFlight<T> entry) {
    entry.attempts++;
    entry.state = State.RUNNING;
    ConsumerRecord<String, byte[]> r = entry.record;
    Delivery<T> delivery =
        new Delivery<>(r.key(), entry.value, r.topic(), r.partition(), r.offset(), entry.attempts);
    CompletionStage<?> work;
    try {
      work = Objects.requireNonNull(handler.handle(delivery), "handler returned null");
    } catch (Exception e) {
      entry.fail(e);
      return;
    }
    work.whenComplete(
        (ignored, error) -> {
          if (error == null) {
            entry.state = State.DONE;
          } else {
            entry.fail(error);
          }
        });
  }

  private void giveUp(InFlight<T> entry, Throwable cause) {
    entry.state = State.GIVING_UP;
    CompletionStage<?> parked;
    try {
      parked = failureSink.giveUp(entry.record, cause);
    } catch (RuntimeException e) {
      entry.sinkFailed(e, nanoTime.getAsLong() + retryBackoff.toNanos());
      return;
    }
    parked.whenComplete(
        (ignored, error) -> {
          if (error == null) {
            entry.state = State.DONE;
          } else {
            entry.sinkFailed(error, nanoTime.getAsLong() + retryBackoff.toNanos());
          }
        });
  }

  /** Moves failed records on: retry after backoff, or give them up. Loop thread only. */
  private void settle() {
    long now = nanoTime.getAsLong();
    for (ArrayDeque<InFlight<T>> queue : inFlight.values()) {
      for (InFlight<T> entry : queue) {
        switch (entry.state) {
          case FAILED -> {
            Throwable cause = entry.error;
            if (entry.attempts < maxAttempts) {
              long backoff = retryBackoff.toNanos() << Math.min(entry.attempts - 1, 10);
              entry.retryAtNanos = now + backoff;
              entry.state = State.WAITING_TO_RETRY;
              LOG.warnf(
                  cause,
                  "[%s] job %s failed (attempt %d of %d); retrying in %d ms",
                  name,
                  entry.record.key(),
                  entry.attempts,
                  maxAttempts,
                  backoff / 1_000_000);
            } else {
              LOG.errorf(
                  cause,
                  "[%s] job %s failed %d times; giving it up to the dead letters",
                  name,
                  entry.record.key(),
                  entry.attempts);
              giveUp(entry, cause);
            }
          }
          case WAITING_TO_RETRY -> {
            if (now - entry.retryAtNanos >= 0) {
              dispatch(entry);
            }
          }
          case SINK_FAILED -> {
            if (now - entry.retryAtNanos >= 0) {
              giveUp(entry, entry.error);
            }
          }
          default -> {}
        }
      }
    }
  }

  /** Commits, per partition, the offset after the longest prefix of finished records. */
  private void commitCompleted(boolean sync) {
    Map<TopicPartition, OffsetAndMetadata> offsets = collectCompleted(inFlight.keySet());
    if (offsets.isEmpty()) {
      return;
    }
    if (sync) {
      consumer.commitSync(offsets);
    } else {
      consumer.commitAsync(
          offsets,
          (committed, error) -> {
            if (error != null) {
              // A later commit covers these offsets; at worst the records are redelivered.
              LOG.warnf(error, "[%s] offset commit failed for %s", name, committed);
            }
          });
    }
  }

  private Map<TopicPartition, OffsetAndMetadata> collectCompleted(
      Collection<TopicPartition> partitions) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition tp : partitions) {
      ArrayDeque<InFlight<T>> queue = inFlight.get(tp);
      if (queue == null) {
        continue;
      }
      long next = -1;
      while (!queue.isEmpty() && queue.peekFirst().state == State.DONE) {
        next = queue.pollFirst().record.offset() + 1;
        inFlightCount--;
      }
      if (next >= 0) {
        offsets.put(tp, new OffsetAndMetadata(next));
      }
    }
    return offsets;
  }

  private void applyBackpressure() {
    boolean full = inFlightCount + maxPollRecords > maxInFlight;
    if (full && !paused) {
      consumer.pause(consumer.assignment());
      paused = true;
    } else if (!full && paused) {
      consumer.resume(consumer.paused());
      paused = false;
    }
  }

  /**
   * On shutdown: let in-flight work finish (bounded), keep the group alive, commit what is done.
   */
  private void drainInFlight() {
    long deadline = nanoTime.getAsLong() + shutdownGrace.toNanos();
    try {
      consumer.pause(consumer.assignment());
      while (inFlightCount > 0 && nanoTime.getAsLong() - deadline < 0) {
        try {
          consumer.poll(Duration.ofMillis(50));
        } catch (WakeupException e) {
          // close() may have raced with the last poll; keep draining.
        }
        settle();
        commitCompleted(false);
      }
      commitCompleted(true);
      if (inFlightCount > 0) {
        LOG.warnf(
            "[%s] stopping with %d records unfinished; they will be redelivered",
            name, inFlightCount);
      }
    } catch (KafkaException e) {
      LOG.warnf(e, "[%s] could not commit while stopping; records may be redelivered", name);
    }
  }

  private final class Rebalance implements ConsumerRebalanceListener {

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      try {
        Map<TopicPartition, OffsetAndMetadata> offsets = collectCompleted(partitions);
        if (!offsets.isEmpty()) {
          consumer.commitSync(offsets);
        }
      } catch (KafkaException e) {
        LOG.warnf(e, "[%s] commit on revoke failed; records may be redelivered", name);
      }
      forget(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      forget(partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      if (paused) {
        consumer.pause(partitions);
      }
    }

    /**
     * Another member now owns these partitions and will redeliver their unfinished records; work
     * still running here completes unobserved, and stages handle the duplicate by job id.
     */
    private void forget(Collection<TopicPartition> partitions) {
      for (TopicPartition tp : partitions) {
        ArrayDeque<InFlight<T>> queue = inFlight.remove(tp);
        if (queue != null) {
          inFlightCount -= queue.size();
        }
      }
    }
  }

  private enum State {
    RUNNING,
    FAILED,
    WAITING_TO_RETRY,
    GIVING_UP,
    SINK_FAILED,
    DONE
  }

  /** A record and its progress; state is written by completion threads, read by the loop. */
  private static final class InFlight<T> {
    final ConsumerRecord<String, byte[]> record;
    T value;
    int attempts;
    long retryAtNanos;
    volatile Throwable error;
    volatile State state = State.RUNNING;

    InFlight(ConsumerRecord<String, byte[]> record) {
      this.record = record;
    }

    void fail(Throwable cause) {
      error = cause;
      state = State.FAILED;
    }

    void sinkFailed(Throwable cause, long retryAt) {
      error = cause;
      retryAtNanos = retryAt;
      state = State.SINK_FAILED;
    }
  }

  /** Builds a loop; every setting has a default except the wiring. */
  public static final class Builder<T> {
    private String name;
    private String topic;
    private Consumer<String, byte[]> consumer;
    private Parser<T> parser;
    private JobHandler<T> handler;
    private RecordFailureSink failureSink;
    private int maxInFlight = 16;
    private int maxPollRecords = 16;
    private int maxAttempts = 3;
    private Duration retryBackoff = Duration.ofSeconds(1);
    private Duration pollTimeout = Duration.ofMillis(100);
    private Duration shutdownGrace = Duration.ofSeconds(10);
    private LongSupplier nanoTime = System::nanoTime;

    private Builder() {}

    /** A name for logs, e.g. the stage and thread index. */
    public Builder<T> name(String name) {
      this.name = name;
      return this;
    }

    public Builder<T> topic(String topic) {
      this.topic = topic;
      return this;
    }

    /** The consumer this loop will own, configured without auto-commit. */
    public Builder<T> consumer(Consumer<String, byte[]> consumer) {
      this.consumer = consumer;
      return this;
    }

    public Builder<T> parser(Parser<T> parser) {
      this.parser = parser;
      return this;
    }

    public Builder<T> handler(JobHandler<T> handler) {
      this.handler = handler;
      return this;
    }

    public Builder<T> failureSink(RecordFailureSink failureSink) {
      this.failureSink = failureSink;
      return this;
    }

    /**
     * Most records in flight at once. {@code maxPollRecords} must not exceed it; the consumer's
     * {@code max.poll.records} must equal {@code maxPollRecords}.
     */
    public Builder<T> maxInFlight(int maxInFlight, int maxPollRecords) {
      this.maxInFlight = maxInFlight;
      this.maxPollRecords = maxPollRecords;
      return this;
    }

    public Builder<T> retries(int maxAttempts, Duration firstBackoff) {
      this.maxAttempts = maxAttempts;
      this.retryBackoff = firstBackoff;
      return this;
    }

    public Builder<T> pollTimeout(Duration pollTimeout) {
      this.pollTimeout = pollTimeout;
      return this;
    }

    public Builder<T> shutdownGrace(Duration shutdownGrace) {
      this.shutdownGrace = shutdownGrace;
      return this;
    }

    /** The clock for retry backoff; tests drive it by hand. */
    public Builder<T> nanoTime(LongSupplier nanoTime) {
      this.nanoTime = nanoTime;
      return this;
    }

    public JobLoop<T> build() {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(topic, "topic");
      Objects.requireNonNull(consumer, "consumer");
      Objects.requireNonNull(parser, "parser");
      Objects.requireNonNull(handler, "handler");
      Objects.requireNonNull(failureSink, "failureSink");
      require(maxInFlight >= 1, "maxInFlight must be >= 1, was " + maxInFlight);
      require(
          maxPollRecords >= 1 && maxPollRecords <= maxInFlight,
          "maxPollRecords must be in [1, maxInFlight=" + maxInFlight + "], was " + maxPollRecords);
      require(maxAttempts >= 1, "maxAttempts must be >= 1, was " + maxAttempts);
      require(!retryBackoff.isNegative(), "retryBackoff must not be negative");
      return new JobLoop<>(this);
    }

    private static void require(boolean condition, String message) {
      if (!condition) {
        throw new IllegalArgumentException(message);
      }
    }
  }
}
