package t2i.pipeline.kafka;

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

/**
 * Reads every partition of one topic outside any consumer group, from its end on, and hands each
 * record to a handler; runs a periodic task between polls. For a process that needs every record of
 * a topic (every gateway replica needs every job event, since any replica may hold a job's stream).
 * Partitions added to the topic later are picked up. Runs on one thread that owns the consumer;
 * {@link #close()} stops it from any thread.
 */
public final class BroadcastListener implements Runnable {

  private static final Logger LOG = Logger.getLogger(BroadcastListener.class);
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(100);
  private static final Duration PARTITION_REFRESH_EVERY = Duration.ofSeconds(30);

  private final Consumer<String, byte[]> consumer;
  private final String topic;
  private final java.util.function.Consumer<ConsumerRecord<String, byte[]>> handler;
  private final Runnable periodic;
  private final Duration periodicEvery;
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * @param handler gets every record, on the listener's thread; must not block
   * @param periodic runs every {@code periodicEvery} between polls; must not block
   */
  public BroadcastListener(
      Consumer<String, byte[]> consumer,
      String topic,
      java.util.function.Consumer<ConsumerRecord<String, byte[]>> handler,
      Runnable periodic,
      Duration periodicEvery) {
    this.consumer = consumer;
    this.topic = topic;
    this.handler = handler;
    this.periodic = periodic;
    this.periodicEvery = periodicEvery;
  }

  /** Assigns every partition and positions at the end; call before {@link #run()}. */
  public void assignAll() {
    Set<TopicPartition> partitions = partitions();
    consumer.assign(partitions);
    consumer.seekToEnd(partitions);
    // Resolve the end offsets now, so that events published after this call are not skipped.
    partitions.forEach(consumer::position);
  }

  /**
   * Reads records until {@link #close()}. A failure (Kafka away longer than a request timeout, say)
   * is logged and waited out with capped backoff, never the end of the loop: its owner depends on
   * it. Only an {@link Error} ends it; the owner sees the thread gone.
   */
  @Override
  public void run() {
    long nextPeriodic = System.nanoTime() + periodicEvery.toNanos();
    long nextRefresh = System.nanoTime() + PARTITION_REFRESH_EVERY.toNanos();
    int failures = 0;
    try {
      while (!closed.get()) {
        try {
          for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL_TIMEOUT)) {
            handler.accept(record);
          }
          long now = System.nanoTime();
          if (now - nextPeriodic >= 0) {
            periodic.run();
            nextPeriodic = now + periodicEvery.toNanos();
          }
          if (now - nextRefresh >= 0) {
            nextRefresh = now + PARTITION_REFRESH_EVERY.toNanos();
            addNewPartitions();
          }
          if (failures > 0) {
            LOG.infof("Listener of %s recovered after %d failed attempts", topic, failures);
            failures = 0;
          }
        } catch (WakeupException e) {
          if (!closed.get()) {
            throw e;
          }
        } catch (RuntimeException e) {
          failures++;
          if (failures == 1) {
            LOG.warnf(e, "Listener of %s failed; retrying", topic);
          }
          backOff(failures);
        }
      }
    } catch (RuntimeException | Error e) {
      LOG.errorf(e, "Listener of %s stopped by an unexpected error", topic);
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

  public void close() {
    if (closed.compareAndSet(false, true)) {
      consumer.wakeup();
    }
  }

  private void addNewPartitions() {
    Set<TopicPartition> all = partitions();
    Set<TopicPartition> assigned = consumer.assignment();
    if (!assigned.containsAll(all)) {
      List<TopicPartition> added = all.stream().filter(p -> !assigned.contains(p)).toList();
      consumer.assign(all);
      // A partition that is new to us holds only events published since it was created.
      consumer.seekToBeginning(added);
      LOG.infof("Now also reading new partitions %s", added);
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
