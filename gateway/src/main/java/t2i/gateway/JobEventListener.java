package t2i.gateway;

import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jboss.logging.Logger;
import t2i.pipeline.v1.JobEvent;

/**
 * Reads every partition of the job-events topic (outside any consumer group: every replica needs
 * every event, since any replica may hold a job's stream) and hands events to this replica's
 * watchers. Starts at the end of the topic; watchers catch up from the job records for anything
 * earlier. Runs on one thread that owns the consumer; {@link #close()} stops it from any thread.
 */
final class JobEventListener implements Runnable {

  private static final Logger LOG = Logger.getLogger(JobEventListener.class);
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(100);
  private static final Duration PARTITION_REFRESH_EVERY = Duration.ofSeconds(30);

  private final Consumer<String, byte[]> consumer;
  private final String topic;
  private final JobWatchers watchers;
  private final Duration reconcileEvery;
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * @param reconcileEvery how often every watcher catches up from its job's record (see {@link
   *     #checkedReconcileInterval})
   */
  JobEventListener(
      Consumer<String, byte[]> consumer,
      String topic,
      JobWatchers watchers,
      Duration reconcileEvery) {
    this.consumer = consumer;
    this.topic = topic;
    this.watchers = watchers;
    this.reconcileEvery = reconcileEvery;
  }

  /**
   * @throws IllegalArgumentException if the interval is too short to be meant
   */
  static Duration checkedReconcileInterval(Duration interval) {
    if (interval.toMillis() < 10) {
      throw new IllegalArgumentException(
          "t2i.gateway.reconcile-interval must be at least 10ms, was " + interval);
    }
    return interval;
  }

  /** Assigns every partition and positions at the end; call before {@link #run()}. */
  void assignAll() {
    Set<TopicPartition> partitions = partitions();
    consumer.assign(partitions);
    consumer.seekToEnd(partitions);
    // Resolve the end offsets now, so that events published after this call are not skipped.
    partitions.forEach(consumer::position);
  }

  /**
   * Reads events until {@link #close()}. A failure (Kafka away longer than a request timeout, say)
   * is logged and waited out with capped backoff, never the end of the loop: the gateway's streams
   * depend on it. Only an {@link Error} ends it, and the gateway's health then says NOT_SERVING.
   */
  @Override
  public void run() {
    long nextReconcile = System.nanoTime() + reconcileEvery.toNanos();
    long nextRefresh = System.nanoTime() + PARTITION_REFRESH_EVERY.toNanos();
    int failures = 0;
    try {
      while (!closed.get()) {
        try {
          for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL_TIMEOUT)) {
            dispatch(record);
          }
          long now = System.nanoTime();
          if (now - nextReconcile >= 0) {
            watchers.reconcileAll();
            nextReconcile = now + reconcileEvery.toNanos();
          }
          if (now - nextRefresh >= 0) {
            nextRefresh = now + PARTITION_REFRESH_EVERY.toNanos();
            addNewPartitions();
          }
          if (failures > 0) {
            LOG.infof("Job event listener recovered after %d failed attempts", failures);
            failures = 0;
          }
        } catch (WakeupException e) {
          if (!closed.get()) {
            throw e;
          }
        } catch (RuntimeException e) {
          failures++;
          if (failures == 1) {
            LOG.warnf(e, "Job event listener failed; retrying (streams catch up afterwards)");
          }
          backOff(failures);
        }
      }
    } catch (RuntimeException | Error e) {
      LOG.errorf(e, "Job event listener stopped by an unexpected error; the gateway is unhealthy");
      throw e;
    } finally {
      consumer.close();
    }
  }

  private void backOff(int failures) {
    long millis = Math.min(100L << Math.min(failures, 7), 10_000);
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
    }
  }

  void close() {
    if (closed.compareAndSet(false, true)) {
      consumer.wakeup();
    }
  }

  private void dispatch(ConsumerRecord<String, byte[]> record) {
    JobEvent event;
    try {
      event = JobEvent.parseFrom(record.value());
    } catch (InvalidProtocolBufferException e) {
      LOG.warnf(
          "Skipping an undecodable job event at %s-%d offset %d",
          record.topic(), record.partition(), record.offset());
      return;
    }
    watchers.dispatch(event);
  }

  private void addNewPartitions() {
    Set<TopicPartition> all = partitions();
    Set<TopicPartition> assigned = consumer.assignment();
    if (!assigned.containsAll(all)) {
      List<TopicPartition> added = all.stream().filter(p -> !assigned.contains(p)).toList();
      consumer.assign(all);
      // A partition that is new to us holds only events published since it was created.
      consumer.seekToBeginning(added);
      LOG.infof("Now also reading new event partitions %s", added);
    }
  }

  private Set<TopicPartition> partitions() {
    List<PartitionInfo> infos = consumer.partitionsFor(topic);
    if (infos == null || infos.isEmpty()) {
      throw new IllegalStateException("Kafka topic " + topic + " has no partitions");
    }
    return infos.stream()
        .map(p -> new TopicPartition(p.topic(), p.partition()))
        .collect(Collectors.toSet());
  }
}
