package t2i.gateway;

import java.time.Duration;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;
import org.jspecify.annotations.Nullable;

/**
 * Measures, every {@code interval} on its own thread, how many accepted jobs wait ahead of the
 * diffusion workers: the lag of each stage's consumer group behind the topic it reads (tokenizer on
 * the jobs topic, encoder on the tokenized topic, diffusion on the encoded topic), summed. A job
 * waits in exactly one of these queues until the diffusion workers commit it. A group that has
 * never committed counts from the start of the log, where it would begin reading.
 *
 * <p>Owns the Kafka admin client and the thread; {@link #close()} stops both. Thread-safe.
 */
final class BacklogMonitor implements Backlog, AutoCloseable {

  /** A stage's consumer group and the topic it reads. */
  record Stage(String group, String topic) {}

  private static final Logger LOG = Logger.getLogger(BacklogMonitor.class);

  /** A measurement older than this many intervals is no longer trusted. */
  private static final int STALE_AFTER_INTERVALS = 5;

  private record Measurement(long queuedJobs, long atMillis) {}

  private final Admin admin;
  private final List<Stage> stages;
  private final Duration interval;
  private final InstantSource clock;
  private final ScheduledExecutorService scheduler;
  private volatile @Nullable Measurement last;
  // The gateway reached Kafka while starting; only a failed measurement says otherwise.
  private volatile boolean reachable = true;

  BacklogMonitor(Admin admin, List<Stage> stages, Duration interval, InstantSource clock) {
    if (interval.toMillis() < 10) {
      throw new IllegalArgumentException("interval must be at least 10ms, was " + interval);
    }
    this.admin = admin;
    this.stages = List.copyOf(stages);
    this.interval = interval;
    this.clock = clock;
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("kafka-backlog").daemon(true).factory());
  }

  /** Measures every interval in the background, the first time at once. */
  void start() {
    // refresh() handles its own failures, and close() ends the schedule with the executor: nothing
    // waits on the future.
    ScheduledFuture<?> unused =
        scheduler.scheduleWithFixedDelay(
            this::refresh, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public OptionalLong queuedJobs() {
    Measurement measurement = last;
    if (measurement == null
        || clock.millis() - measurement.atMillis()
            > STALE_AFTER_INTERVALS * Math.max(interval.toMillis(), 1000)) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(measurement.queuedJobs());
  }

  /** Whether the last measurement reached Kafka. */
  boolean kafkaReachable() {
    return reachable;
  }

  private void refresh() {
    try {
      long queued = measure();
      LOG.debugf("%d jobs wait for the workers", queued);
      last = new Measurement(queued, clock.millis());
      if (!reachable) {
        reachable = true;
        LOG.info("Measuring the job backlog in Kafka again");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      if (reachable) {
        LOG.warnf(
            "Cannot measure the job backlog in Kafka (%s); admitting jobs without it until it"
                + " answers",
            e.toString());
      }
      reachable = false;
    }
  }

  private long measure() throws InterruptedException, ExecutionException, TimeoutException {
    long timeout = Math.max(interval.toMillis(), 1000);
    Set<String> topics = stages.stream().map(Stage::topic).collect(Collectors.toSet());
    Map<String, TopicDescription> described =
        admin.describeTopics(topics).allTopicNames().get(timeout, TimeUnit.MILLISECONDS);
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
    for (TopicDescription topic : described.values()) {
      topic
          .partitions()
          .forEach(
              p -> {
                TopicPartition partition = new TopicPartition(topic.name(), p.partition());
                latest.put(partition, OffsetSpec.latest());
                earliest.put(partition, OffsetSpec.earliest());
              });
    }
    Map<TopicPartition, ListOffsetsResultInfo> ends =
        admin.listOffsets(latest).all().get(timeout, TimeUnit.MILLISECONDS);
    Map<TopicPartition, ListOffsetsResultInfo> starts =
        admin.listOffsets(earliest).all().get(timeout, TimeUnit.MILLISECONDS);
    long queued = 0;
    for (Stage stage : stages) {
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin
              .listConsumerGroupOffsets(stage.group())
              .partitionsToOffsetAndMetadata()
              .get(timeout, TimeUnit.MILLISECONDS);
      for (Map.Entry<TopicPartition, ListOffsetsResultInfo> end : ends.entrySet()) {
        TopicPartition partition = end.getKey();
        if (!partition.topic().equals(stage.topic())) {
          continue;
        }
        OffsetAndMetadata position = committed.get(partition);
        // starts holds every partition that ends does: both listed the same partitions.
        long from =
            position != null
                ? position.offset()
                : Objects.requireNonNull(starts.get(partition)).offset();
        queued += Math.max(0, end.getValue().offset() - from);
      }
    }
    return queued;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      admin.close(Duration.ofSeconds(5));
    }
  }
}
