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

  @Override
  public void run() {
    long nextReconcile = System.nanoTime() + reconcileEvery.toNanos();
    long nextRefresh = System.nanoTime() + PARTITION_REFRESH_EVERY.toNanos();
    try {
      while (!closed.get()) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL_TIMEOUT)) {
          dispatch(record);
        }
        long now = System.nanoTime();
        if (now - nextReconcile >= 0) {
          watchers.reconcileAll();
          nextReconcile = now + reconcileEvery.toNanos();
        }
        if (now - nextRefresh >= 0) {
          addNewPartitions();
          nextRefresh = now + PARTITION_REFRESH_EVERY.toNanos();
        }
      }
    } catch (WakeupException e) {
      if (!closed.get()) {
        throw e;
      }
    } catch (RuntimeException e) {
      LOG.errorf(e, "Job event listener stopped by an unexpected error");
      throw e;
    } finally {
      consumer.close();
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
