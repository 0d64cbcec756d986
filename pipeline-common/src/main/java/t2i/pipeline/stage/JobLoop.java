package t2i.pipeline.stage;

import com.google.protobuf.Parser;
import io.opentelemetry.api.trace.Span;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jboss.logging.Logger;
import org.jspecify.annotations.Nullable;
import t2i.pipeline.failure.FailureKind;
import t2i.pipeline.failure.Failures;
import t2i.pipeline.failure.StageFatalError;
import t2i.pipeline.kafka.Delivery;
import t2i.pipeline.kafka.JobHandler;
import t2i.pipeline.telemetry.JobTraces;
import t2i.pipeline.telemetry.Telemetry;

/**
 * The consume-handle-commit loop of a pipeline stage, written as the {@code KafkaConsumer} Javadoc
 * prescribes: one consumer, touched only by the thread running {@link #run()}; {@link #close()}
 * from any thread sets a flag and calls {@code wakeup()}; offsets are committed by hand and only
 * for records whose outcome is recorded, in offset order per partition (at-least-once).
 *
 * <p>Work is asynchronous: the handler returns a completion stage, so several records can be in
 * flight. At most {@code maxInFlight} are; while the loop is at its bound, it pauses its partitions
 * and keeps polling, so the group does not evict it however long the work takes.
 *
 * <p>Failures are classified once, here, for every stage ({@link Failures#classify}):
 *
 * <ul>
 *   <li>permanent (the job's own fault): the {@link FailureSink} ends the job FAILED at once;
 *   <li>transient (Redis or Kafka away, a full queue): the loop stops taking new records (pauses
 *       its partitions) and retries with capped exponential backoff until the job's deadline, then
 *       ends it EXPIRED; a job never fails because infrastructure was away for a while;
 *   <li>unexpected: retried {@code maxAttempts - 1} times, then parked in the dead letters;
 *   <li>fatal: the loop stops, tells {@code onFatal} (which ends the process) and commits nothing
 *       more, so that unfinished records are redelivered.
 * </ul>
 *
 * A record that cannot be decoded is parked at once. A sink call that fails transiently is retried
 * until it succeeds; one that fails otherwise is logged and its record committed, so that no record
 * blocks its partition.
 *
 * <p>Every record is measured ({@link StageMetrics}: time in queue, handling time, retries, dead
 * letters, lag) and traced ({@link JobTraces}: one span per attempt, a child of the context the
 * record carries); every line the loop logs about a job (taking it on, its failures, retries and
 * revocation) carries the job id and trace id in the MDC ({@code jobId}, {@code traceId}), and so
 * does whatever the handler logs while it takes the job on.
 *
 * <p>Owns its consumer and closes it when {@link #run()} returns.
 */
final class JobLoop<T> implements Runnable {

  private static final Logger LOG = Logger.getLogger(JobLoop.class);
  private static final long LAG_REPORT_INTERVAL_NANOS = Duration.ofSeconds(1).toNanos();

  private final String name;
  private final String topic;
  private final org.apache.kafka.clients.consumer.Consumer<String, byte[]> consumer;
  private final Parser<T> parser;
  private final JobHandler<T> handler;
  private final FailureSink<T> failureSink;
  private final ToLongFunction<T> deadlineOf;
  private final int maxInFlight;
  private final int maxPollRecords;
  private final int maxAttempts;
  private final Duration firstBackoff;
  private final Duration maxBackoff;
  private final Duration pollTimeout;
  private final Duration shutdownGrace;
  private final long commitIntervalNanos;
  private final LongSupplier nanoTime;
  private final InstantSource clock;
  private final Consumer<Throwable> onFatal;
  private final boolean leaveGroupOnClose;
  private final StageMetrics metrics;
  private final JobTraces traces;

  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean running = new AtomicBoolean();
  private final Map<TopicPartition, ArrayDeque<InFlight<T>>> inFlight = new HashMap<>();
  // Offsets after finished records, not committed yet; one entry per partition.
  private final Map<TopicPartition, OffsetAndMetadata> uncommitted = new HashMap<>();
  private int inFlightCount;
  private boolean paused;
  private volatile boolean waitingForInfrastructure;
  // What this loop last added to the stage's gauges, so that it can add the change.
  private int reportedInFlight;
  private int reportedPaused;
  private long lagReportedAtNanos;

  private JobLoop(
      Builder<T> b,
      String name,
      String topic,
      org.apache.kafka.clients.consumer.Consumer<String, byte[]> consumer,
      Parser<T> parser,
      JobHandler<T> handler,
      FailureSink<T> failureSink,
      StageMetrics metrics) {
    this.name = name;
    this.topic = topic;
    this.consumer = consumer;
    this.parser = parser;
    this.handler = handler;
    this.failureSink = failureSink;
    this.deadlineOf = b.deadlineOf;
    this.maxInFlight = b.maxInFlight;
    this.maxPollRecords = b.maxPollRecords;
    this.maxAttempts = b.maxAttempts;
    this.firstBackoff = b.firstBackoff;
    this.maxBackoff = b.maxBackoff;
    this.pollTimeout = b.pollTimeout;
    this.shutdownGrace = b.shutdownGrace;
    this.commitIntervalNanos = b.commitInterval.toNanos();
    this.nanoTime = b.nanoTime;
    this.clock = b.clock;
    this.onFatal = b.onFatal;
    this.leaveGroupOnClose = b.leaveGroupOnClose;
    this.metrics = metrics;
    this.traces = b.traces;
  }

  public static <T> Builder<T> builder() {
    return new Builder<>();
  }

  /**
   * Runs until {@link #close()} is called; then finishes in-flight work within the grace period.
   * Returns normally after {@link #close()}; throws after a fatal failure, once {@code onFatal} has
   * heard of it.
   */
  @Override
  public void run() {
    running.set(true);
    boolean fatal = false;
    try {
      consumer.subscribe(List.of(topic), new Rebalance());
      long lastCommit = nanoTime.getAsLong() - commitIntervalNanos;
      while (!closed.get()) {
        ConsumerRecords<String, byte[]> records = consumer.poll(pollTimeout);
        metrics.polled();
        for (ConsumerRecord<String, byte[]> record : records) {
          metrics.consumed();
          start(record);
        }
        settle();
        releaseCompleted(inFlight.keySet());
        long now = nanoTime.getAsLong();
        // Each commit is a write to the group's offsets log: at most one per interval.
        if (now - lastCommit >= commitIntervalNanos && commit(uncommitted.keySet(), false)) {
          lastCommit = now;
        }
        applyBackpressure();
        reportGauges();
      }
    } catch (WakeupException e) {
      if (!closed.get()) {
        fatal = true;
        throw fatal(e);
      }
    } catch (RuntimeException | Error e) {
      fatal = true;
      throw fatal(e);
    } finally {
      try {
        if (!fatal) {
          drainInFlight();
        }
      } finally {
        running.set(false);
        metrics.inFlightChanged(-reportedInFlight);
        metrics.pausedChanged(-reportedPaused);
        consumer.assignment().forEach(tp -> metrics.forgetLag(tp, name));
        closeConsumer();
      }
    }
  }

  private RuntimeException fatal(Throwable e) {
    LOG.errorf(
        e,
        "[%s] consumer loop on %s stopped by a fatal error; %d unfinished records will be"
            + " redelivered",
        name,
        topic,
        inFlightCount);
    try {
      onFatal.accept(e);
    } catch (RuntimeException callbackFailure) {
      e.addSuppressed(callbackFailure);
    }
    return e instanceof RuntimeException r ? r : new StageFatalError("fatal error in " + name, e);
  }

  private void closeConsumer() {
    try {
      if (leaveGroupOnClose) {
        // A static member stays in the group after close unless it says otherwise; leaving hands
        // its partitions to the others at once instead of after the session timeout.
        consumer.close(
            CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(5)));
      } else {
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
      }
    } catch (RuntimeException e) {
      LOG.warnf(e, "[%s] closing the consumer failed", name);
    }
    LOG.debugf("[%s] consumer closed", name);
  }

  /** Asks the loop to stop; safe from any thread. {@link #run()} returns after draining. */
  public void close() {
    if (closed.compareAndSet(false, true)) {
      consumer.wakeup();
    }
  }

  /** Whether {@link #run()} is running (for health checks); any thread. */
  public boolean isRunning() {
    return running.get();
  }

  /**
   * Whether the loop is waiting out an infrastructure failure (for readiness checks); any thread.
   */
  public boolean isWaitingForInfrastructure() {
    return waitingForInfrastructure;
  }

  /** Records currently in flight (for tests and metrics); loop thread only. */
  int inFlightCount() {
    return inFlightCount;
  }

  /** Adds this loop's changes to the stage's gauges; lag at most once a second. */
  private void reportGauges() {
    metrics.inFlightChanged(inFlightCount - reportedInFlight);
    reportedInFlight = inFlightCount;
    int pausedNow = paused ? consumer.paused().size() : 0;
    metrics.pausedChanged(pausedNow - reportedPaused);
    reportedPaused = pausedNow;
    long now = nanoTime.getAsLong();
    if (now - lagReportedAtNanos >= LAG_REPORT_INTERVAL_NANOS) {
      lagReportedAtNanos = now;
      for (TopicPartition tp : consumer.assignment()) {
        consumer.currentLag(tp).ifPresent(lag -> metrics.lag(tp, name, lag));
      }
    }
  }

  private void start(ConsumerRecord<String, byte[]> record) {
    TopicPartition tp = new TopicPartition(record.topic(), record.partition());
    InFlight<T> entry = new InFlight<>(record);
    inFlight.computeIfAbsent(tp, k -> new ArrayDeque<>()).addLast(entry);
    inFlightCount++;
    try {
      entry.value = parser.parseFrom(record.value());
    } catch (Exception e) {
      putLogContext(entry);
      LOG.errorf(
          "[%s] undecodable record at %s-%d offset %d (key %s, %d bytes): %s; moving it to the"
              + " dead letters",
          name,
          record.topic(),
          record.partition(),
          record.offset(),
          shorten(record.key()),
          record.value() == null ? 0 : record.value().length,
          e.toString());
      JobTraces.clearLogContext();
      metrics.deadLettered();
      sink(entry, () -> failureSink.park(record, Optional.empty(), e));
      return;
    }
    if (hasEarlierCopy(tp, entry)) {
      // Another record of the same job is still being handled: this one waits for it, so that the
      // stage's check sees what the first did (a redelivery or a second submission of one job).
      entry.state = State.BLOCKED;
      return;
    }
    dispatch(entry);
  }

  /** Whether an earlier record of the same partition and job is unfinished. */
  private boolean hasEarlierCopy(TopicPartition tp, InFlight<T> entry) {
    String key = entry.record.key();
    if (key == null) {
      return false;
    }
    for (InFlight<T> earlier : inFlight.getOrDefault(tp, new ArrayDeque<>())) {
      if (earlier == entry) {
        return false;
      }
      if (earlier.state != State.DONE && key.equals(earlier.record.key())) {
        return true;
      }
    }
    return false;
  }

  private void dispatch(InFlight<T> entry) {
    entry.attempts++;
    entry.state = State.RUNNING;
    ConsumerRecord<String, byte[]> r = entry.record;
    Delivery<T> delivery =
        new Delivery<>(
            r.key(), entry.parsedValue(), r.topic(), r.partition(), r.offset(), entry.attempts);
    entry.delivery = delivery;
    long queueWaitMs = r.timestamp() > 0 ? Math.max(0, clock.millis() - r.timestamp()) : 0;
    if (entry.attempts == 1) {
      metrics.queueWait(Duration.ofMillis(queueWaitMs));
    }
    String jobId = r.key() == null ? "" : r.key();
    Span span =
        traces.startStage(
            metrics.stage(), r.topic(), jobId, r.headers(), queueWaitMs, entry.attempts);
    long startedNanos = nanoTime.getAsLong();
    CompletionStage<?> work;
    entry.traceId = span.getSpanContext().isValid() ? span.getSpanContext().getTraceId() : "";
    putLogContext(entry);
    try {
      work = Objects.requireNonNull(handler.handle(delivery), "handler returned null");
    } catch (Exception | Error e) {
      traces.end(jobId, span, e);
      entry.fail(e);
      return;
    } finally {
      JobTraces.clearLogContext();
    }
    work.whenComplete(
        (ignored, error) -> {
          traces.end(jobId, span, error);
          if (error == null) {
            metrics.handled(nanoTime.getAsLong() - startedNanos);
            entry.state = State.DONE;
          } else {
            entry.fail(error);
          }
        });
  }

  /** Runs a sink call for the entry; its failure is retried by {@link #settle()}. */
  private void sink(InFlight<T> entry, Supplier<CompletionStage<?>> call) {
    entry.sinkCall = call;
    entry.sinkAttempts++;
    entry.state = State.SINKING;
    CompletionStage<?> recorded;
    try {
      recorded = Objects.requireNonNull(call.get(), "failure sink returned null");
    } catch (RuntimeException e) {
      entry.sinkFailed(e);
      return;
    }
    recorded.whenComplete(
        (ignored, error) -> {
          if (error == null) {
            entry.state = State.DONE;
          } else {
            entry.sinkFailed(error);
          }
        });
  }

  /** Moves failed records on: retry after backoff, end their jobs, or stop. Loop thread only. */
  private void settle() {
    long now = nanoTime.getAsLong();
    boolean waiting = false;
    for (Map.Entry<TopicPartition, ArrayDeque<InFlight<T>>> partition : inFlight.entrySet()) {
      for (InFlight<T> entry : partition.getValue()) {
        switch (entry.state) {
          case BLOCKED -> {
            if (!hasEarlierCopy(partition.getKey(), entry)) {
              dispatch(entry);
            }
          }
          case FAILED -> {
            putLogContext(entry);
            try {
              entry.waitingForInfrastructure = onFailure(entry, now);
            } finally {
              JobTraces.clearLogContext();
            }
          }
          case WAITING_TO_RETRY -> {
            if (now - entry.retryAtNanos >= 0) {
              dispatch(entry);
            }
          }
          case SINK_FAILED -> {
            putLogContext(entry);
            try {
              entry.waitingForInfrastructure = onSinkFailure(entry, now);
            } finally {
              JobTraces.clearLogContext();
            }
          }
          case SINK_WAITING -> {
            if (now - entry.retryAtNanos >= 0) {
              // Only a sink call that failed waits to be retried.
              sink(entry, Objects.requireNonNull(entry.sinkCall));
            }
          }
          default -> {}
        }
        // A retry in flight still waits for infrastructure until it succeeds.
        waiting |= entry.waitingForInfrastructure && entry.state != State.DONE;
      }
    }
    if (waiting != waitingForInfrastructure) {
      LOG.infof(
          waiting
              ? "[%s] waiting for Kafka or Redis: no new records until they answer"
              : "[%s] infrastructure answers again: taking new records",
          name);
    }
    waitingForInfrastructure = waiting;
  }

  /** Returns whether the entry now waits for infrastructure. */
  private boolean onFailure(InFlight<T> entry, long now) {
    // A handler can only fail once dispatched, that is with its delivery made.
    Throwable cause = Objects.requireNonNull(entry.error);
    Delivery<T> delivery = Objects.requireNonNull(entry.delivery);
    FailureKind kind = Failures.classify(cause);
    String job = shorten(entry.record.key());
    switch (kind) {
      case FATAL -> throw new StageFatalError("fatal failure handling job " + job, cause);
      case PERMANENT -> {
        String reason = Failures.unwrap(cause).getMessage();
        LOG.infof("[%s] job %s failed: %s", name, job, reason);
        metrics.failed();
        sink(entry, () -> failureSink.failed(delivery, reason));
        return false;
      }
      case TRANSIENT -> {
        long deadline = deadlineOf.applyAsLong(delivery.value());
        if (deadline > 0 && clock.millis() >= deadline) {
          LOG.warnf(
              "[%s] job %s passed its deadline while waiting for infrastructure: %s",
              name, job, Failures.unwrap(cause).toString());
          metrics.expired();
          sink(entry, () -> failureSink.expired(delivery, cause));
          return false;
        }
        entry.transientFailures++;
        metrics.retriedTransient();
        long backoff = backoff(entry.transientFailures);
        entry.retryAtNanos = now + backoff;
        entry.state = State.WAITING_TO_RETRY;
        // The first of a run of failures is worth a warning; the rest would flood the log.
        if (entry.transientFailures == 1) {
          LOG.warnf(
              "[%s] job %s: %s; retrying until it works or the job's deadline passes",
              name, job, Failures.unwrap(cause).toString());
        } else {
          LOG.debugf(
              "[%s] job %s: attempt %d failed (%s); next in %d ms",
              name, job, entry.attempts, Failures.unwrap(cause).toString(), backoff / 1_000_000);
        }
        return true;
      }
      default -> {
        if (entry.attempts < maxAttempts) {
          metrics.retriedUnexpected();
          long backoff = backoff(entry.attempts);
          entry.retryAtNanos = now + backoff;
          entry.state = State.WAITING_TO_RETRY;
          LOG.warnf(
              cause,
              "[%s] job %s failed unexpectedly (attempt %d of %d); retrying in %d ms",
              name,
              job,
              entry.attempts,
              maxAttempts,
              backoff / 1_000_000);
        } else {
          LOG.errorf(
              cause,
              "[%s] job %s failed unexpectedly %d times; parking it in the dead letters",
              name,
              job,
              entry.attempts);
          Optional<T> value = Optional.of(delivery.value());
          metrics.deadLettered();
          sink(entry, () -> failureSink.park(entry.record, value, cause));
        }
        return false;
      }
    }
  }

  /** Returns whether the entry now waits for infrastructure. */
  private boolean onSinkFailure(InFlight<T> entry, long now) {
    Throwable cause = Objects.requireNonNull(entry.error);
    FailureKind kind = Failures.classify(cause);
    if (kind == FailureKind.FATAL) {
      throw new StageFatalError("fatal failure recording the outcome of a record", cause);
    }
    if (kind == FailureKind.TRANSIENT || entry.sinkAttempts < maxAttempts) {
      long backoff = backoff(entry.sinkAttempts);
      entry.retryAtNanos = now + backoff;
      entry.state = State.SINK_WAITING;
      LOG.debugf(
          "[%s] recording the outcome of job %s failed (%s); retrying in %d ms",
          name, shorten(entry.record.key()), cause, backoff / 1_000_000);
      return kind == FailureKind.TRANSIENT;
    }
    // Nothing more can be done for this record here; holding it would block its partition.
    LOG.errorf(
        cause,
        "[%s] could not record the outcome of %s-%d offset %d (job %s) after %d attempts; skipping"
            + " it",
        name,
        entry.record.topic(),
        entry.record.partition(),
        entry.record.offset(),
        shorten(entry.record.key()),
        entry.sinkAttempts);
    entry.state = State.DONE;
    return false;
  }

  private long backoff(int failures) {
    long first = firstBackoff.toNanos();
    long doubled = first << Math.min(Math.max(failures - 1, 0), 20);
    return Math.min(doubled < 0 ? Long.MAX_VALUE : doubled, maxBackoff.toNanos());
  }

  /**
   * Commits what {@link #releaseCompleted} noted for these partitions; returns whether there was
   * anything to commit.
   */
  private boolean commit(Collection<TopicPartition> partitions, boolean sync) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition tp : List.copyOf(partitions)) {
      OffsetAndMetadata offset = uncommitted.remove(tp);
      if (offset != null) {
        offsets.put(tp, offset);
      }
    }
    if (offsets.isEmpty()) {
      return false;
    }
    if (sync) {
      consumer.commitSync(offsets);
    } else {
      consumer.commitAsync(
          offsets,
          (committed, error) -> {
            if (error != null) {
              // A later commit covers these offsets; at worst the records are redelivered.
              LOG.debugf(error, "[%s] offset commit failed for %s", name, committed);
            }
          });
    }
    return true;
  }

  /**
   * Per partition, takes the longest prefix of finished records out of flight and notes the offset
   * after it for the next commit.
   */
  private void releaseCompleted(Collection<TopicPartition> partitions) {
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
        uncommitted.put(tp, new OffsetAndMetadata(next));
      }
    }
  }

  private void applyBackpressure() {
    boolean hold = inFlightCount + maxPollRecords > maxInFlight || waitingForInfrastructure;
    if (hold && !paused) {
      consumer.pause(consumer.assignment());
      paused = true;
    } else if (!hold && paused) {
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
        releaseCompleted(inFlight.keySet());
      }
      commit(uncommitted.keySet(), true);
      if (inFlightCount > 0) {
        LOG.warnf(
            "[%s] stopping with %d records unfinished; they will be redelivered",
            name, inFlightCount);
        revokeAll();
      }
    } catch (KafkaException | StageFatalError e) {
      LOG.warnf(
          e, "[%s] could not finish cleanly while stopping; records may be redelivered", name);
    }
  }

  private void revokeAll() {
    for (ArrayDeque<InFlight<T>> queue : inFlight.values()) {
      queue.forEach(this::revoke);
    }
  }

  /** Names the entry's job and trace in the MDC of the loop thread's log lines. */
  private static void putLogContext(InFlight<?> entry) {
    String key = entry.record.key();
    JobTraces.putLogContext(key == null ? "" : key, entry.traceId);
  }

  private void revoke(InFlight<T> entry) {
    Delivery<T> delivery = entry.delivery;
    if (delivery != null && entry.state != State.DONE && entry.state != State.BLOCKED) {
      putLogContext(entry);
      try {
        handler.revoked(delivery);
      } catch (RuntimeException e) {
        LOG.warnf(e, "[%s] stopping job %s after revocation failed", name, entry.record.key());
      } finally {
        JobTraces.clearLogContext();
      }
    }
  }

  private static String shorten(String key) {
    if (key == null) {
      return "(none)";
    }
    return key.length() <= 80 ? key : key.substring(0, 80) + "...";
  }

  private final class Rebalance implements ConsumerRebalanceListener {

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      try {
        releaseCompleted(partitions);
        commit(partitions, true);
      } catch (KafkaException e) {
        LOG.warnf(e, "[%s] commit on revoke failed; records may be redelivered", name);
      }
      forget(partitions, "revoked");
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      forget(partitions, "lost");
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      if (paused) {
        consumer.pause(partitions);
      }
    }

    /**
     * Another member now owns these partitions and will redeliver their unfinished records: work
     * still running here is stopped, so that the job does not run twice.
     */
    private void forget(Collection<TopicPartition> partitions, String how) {
      int stopped = 0;
      for (TopicPartition tp : partitions) {
        metrics.forgetLag(tp, name);
        // Not ours to commit any more.
        uncommitted.remove(tp);
        ArrayDeque<InFlight<T>> queue = inFlight.remove(tp);
        if (queue != null) {
          inFlightCount -= queue.size();
          for (InFlight<T> entry : queue) {
            if (entry.state != State.DONE) {
              revoke(entry);
              stopped++;
            }
          }
        }
      }
      if (stopped > 0) {
        LOG.infof(
            "[%s] partitions %s %s: stopped %d unfinished records here; their new owner redelivers"
                + " them",
            name, partitions, how, stopped);
      }
    }
  }

  private enum State {
    BLOCKED,
    RUNNING,
    FAILED,
    WAITING_TO_RETRY,
    SINKING,
    SINK_FAILED,
    SINK_WAITING,
    DONE
  }

  /** A record and its progress; state is written by completion threads, read by the loop. */
  private static final class InFlight<T> {
    final ConsumerRecord<String, byte[]> record;

    /** Null until parsed; a record that does not parse goes to the dead letters unhandled. */
    @Nullable T value;

    /** Null until first dispatched. */
    @Nullable Delivery<T> delivery;

    int attempts;
    int transientFailures;
    int sinkAttempts;
    boolean waitingForInfrastructure;

    /** The trace of the latest attempt; empty before the first, or when not traced. */
    String traceId = "";

    long retryAtNanos;
    @Nullable Supplier<CompletionStage<?>> sinkCall;

    /** Set before the state says FAILED or SINK_FAILED. */
    volatile @Nullable Throwable error;

    volatile State state = State.RUNNING;

    InFlight(ConsumerRecord<String, byte[]> record) {
      this.record = record;
    }

    /** The value of a record that parsed: only such records are dispatched. */
    T parsedValue() {
      return Objects.requireNonNull(value, "dispatching a record that did not parse");
    }

    void fail(Throwable cause) {
      error = cause;
      state = State.FAILED;
    }

    void sinkFailed(Throwable cause) {
      error = cause;
      state = State.SINK_FAILED;
    }
  }

  /** Builds a loop; every setting has a default except the wiring. */
  public static final class Builder<T> {
    private @Nullable String name;
    private @Nullable String topic;
    private org.apache.kafka.clients.consumer.@Nullable Consumer<String, byte[]> consumer;
    private @Nullable Parser<T> parser;
    private @Nullable JobHandler<T> handler;
    private @Nullable FailureSink<T> failureSink;
    private ToLongFunction<T> deadlineOf = value -> 0;
    private int maxInFlight = 16;
    private int maxPollRecords = 16;
    private int maxAttempts = 3;
    private Duration firstBackoff = Duration.ofMillis(200);
    private Duration maxBackoff = Duration.ofSeconds(5);
    private Duration pollTimeout = Duration.ofMillis(100);
    private Duration shutdownGrace = Duration.ofSeconds(10);
    private Duration commitInterval = Duration.ZERO;
    private LongSupplier nanoTime = System::nanoTime;
    private InstantSource clock = InstantSource.system();
    private Consumer<Throwable> onFatal = e -> {};
    private boolean leaveGroupOnClose = true;
    private @Nullable StageMetrics metrics;
    private JobTraces traces = JobTraces.none();

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
    public Builder<T> consumer(
        org.apache.kafka.clients.consumer.Consumer<String, byte[]> consumer) {
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

    public Builder<T> failureSink(FailureSink<T> failureSink) {
      this.failureSink = failureSink;
      return this;
    }

    /**
     * The job's deadline in epoch milliseconds (0: none): transient failures are retried until
     * then.
     */
    public Builder<T> deadline(ToLongFunction<T> deadlineOf) {
      this.deadlineOf = deadlineOf;
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

    /**
     * Attempts at a record that fails unexpectedly before it is parked, and the backoff between any
     * two attempts: doubling from {@code firstBackoff} up to {@code maxBackoff}.
     */
    public Builder<T> retries(int maxAttempts, Duration firstBackoff, Duration maxBackoff) {
      this.maxAttempts = maxAttempts;
      this.firstBackoff = firstBackoff;
      this.maxBackoff = maxBackoff;
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

    /**
     * The least time between two commits while the loop runs (zero: after every poll that finished
     * something). A longer interval means fewer writes to the broker and, after a crash, at most
     * that much more finished work redelivered (which the stage's gate skips). Revocation and
     * shutdown commit at once regardless.
     */
    public Builder<T> commitInterval(Duration commitInterval) {
      this.commitInterval = commitInterval;
      return this;
    }

    /** The clocks for backoff (monotonic) and deadlines (wall); tests drive them by hand. */
    public Builder<T> clocks(LongSupplier nanoTime, InstantSource clock) {
      this.nanoTime = nanoTime;
      this.clock = clock;
      return this;
    }

    /** Hears a fatal failure, after which the loop has stopped; typically ends the process. */
    public Builder<T> onFatal(Consumer<Throwable> onFatal) {
      this.onFatal = onFatal;
      return this;
    }

    /**
     * Whether closing the loop leaves the consumer group at once (the default), so that others take
     * over its partitions without waiting for the session timeout.
     */
    public Builder<T> leaveGroupOnClose(boolean leave) {
      this.leaveGroupOnClose = leave;
      return this;
    }

    /** Where the loop's meters and spans go; by default nowhere. */
    public Builder<T> telemetry(StageMetrics metrics, JobTraces traces) {
      this.metrics = metrics;
      this.traces = traces;
      return this;
    }

    public JobLoop<T> build() {
      String name = Objects.requireNonNull(this.name, "name");
      String topic = Objects.requireNonNull(this.topic, "topic");
      org.apache.kafka.clients.consumer.Consumer<String, byte[]> consumer =
          Objects.requireNonNull(this.consumer, "consumer");
      Parser<T> parser = Objects.requireNonNull(this.parser, "parser");
      JobHandler<T> handler = Objects.requireNonNull(this.handler, "handler");
      FailureSink<T> failureSink = Objects.requireNonNull(this.failureSink, "failureSink");
      require(maxInFlight >= 1, "maxInFlight must be >= 1, was " + maxInFlight);
      require(
          maxPollRecords >= 1 && maxPollRecords <= maxInFlight,
          "maxPollRecords must be in [1, maxInFlight=" + maxInFlight + "], was " + maxPollRecords);
      require(maxAttempts >= 1, "maxAttempts must be >= 1, was " + maxAttempts);
      require(
          !firstBackoff.isNegative() && firstBackoff.compareTo(maxBackoff) <= 0,
          "backoff must be non-negative and first <= max");
      StageMetrics metrics =
          this.metrics != null
              ? this.metrics
              : StageMetrics.create(Telemetry.none().meters(), name);
      return new JobLoop<>(this, name, topic, consumer, parser, handler, failureSink, metrics);
    }

    private static void require(boolean condition, String message) {
      if (!condition) {
        throw new IllegalArgumentException(message);
      }
    }
  }
}
