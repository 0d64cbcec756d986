package t2i.gateway;

import com.google.protobuf.Timestamp;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsResult;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;
import org.jspecify.annotations.Nullable;
import t2i.pipeline.job.QueuePlace;
import t2i.v1.QueuePosition;

/**
 * Measures, every {@code interval} on its own thread, how many accepted jobs wait ahead of the
 * diffusion workers: the lag of each stage's consumer group behind the topic it reads (tokenizer on
 * the jobs topic, encoder on the tokenized topic, diffusion on the encoded topic), summed. A job
 * waits in exactly one of these queues until the diffusion workers commit it. A group that has
 * never committed counts from the start of the log, where it would begin reading.
 *
 * <p>The same measurements place a waiting job in its queue: the jobs before it in its partition
 * (behind the queue's head: the last record the stage took up, as the job store records it when
 * jobs leave their queue), and when the stage should reach it at the rate it has taken jobs up in
 * its current run of work ({@link QueueProgress}). The committed offset is no head: a stage commits
 * a partition only up to its oldest record in flight.
 *
 * <p>Each measurement asks the broker for the partitions' ends and, in one request, every stage's
 * committed offsets; the topics are described every {@link #REDESCRIBE_AFTER}, and a log's start is
 * asked only for a partition some stage never committed. Every gateway replica measures, so this is
 * the gateway's main cost while it is idle.
 *
 * <p>Owns the Kafka admin client and the thread; {@link #close()} stops both. Thread-safe.
 */
final class BacklogMonitor implements Backlog, QueuePositions, AutoCloseable {

  /** A stage's consumer group and the topic it reads. */
  record Stage(String group, String topic) {}

  private static final Logger LOG = Logger.getLogger(BacklogMonitor.class);

  /** A measurement older than this many intervals is no longer trusted. */
  private static final int STALE_AFTER_INTERVALS = 5;

  /** How long a stage's current run of work must have lasted before its rate is trusted. */
  private static final Duration MIN_BUSY = Duration.ofSeconds(3);

  /** How long the input topics' partitions, as described, are taken as they are. */
  private static final Duration REDESCRIBE_AFTER = Duration.ofSeconds(30);

  /** How much of a stage's current run of work its rate is taken over: the newest part. */
  private static final Duration RECENT_BUSY = Duration.ofSeconds(5);

  private static final String GROUP_PREFIX = "t2i-";

  private record Measurement(long queuedJobs, long atMillis) {}

  private final Admin admin;
  private final List<Stage> stages;
  private final Duration interval;
  private final InstantSource clock;
  private final ScheduledExecutorService scheduler;
  private volatile @Nullable Measurement last;
  private final QueueProgress progress;
  private final Supplier<Map<String, Long>> queueHeads;
  // Each input topic's partitions, as last described; when to describe them again (measuring
  // thread only).
  private volatile Map<String, List<TopicPartition>> partitionsOf = Map.of();
  private long describeAgainAtMillis;
  // The gateway reached Kafka while starting; only a failed measurement says otherwise.
  private volatile boolean reachable = true;

  /**
   * @param queueHeads the highest offset each stage took up per partition ({@link
   *     t2i.pipeline.job.JobStore#queueHeads()})
   */
  BacklogMonitor(
      Admin admin,
      Supplier<Map<String, Long>> queueHeads,
      List<Stage> stages,
      Duration interval,
      InstantSource clock) {
    if (interval.toMillis() < 10) {
      throw new IllegalArgumentException("interval must be at least 10ms, was " + interval);
    }
    this.admin = admin;
    this.queueHeads = queueHeads;
    this.stages = List.copyOf(stages);
    this.interval = interval;
    this.clock = clock;
    this.progress =
        new QueueProgress(
            (int) (RECENT_BUSY.toMillis() / Math.max(interval.toMillis(), 1)) + 2,
            MIN_BUSY,
            RECENT_BUSY);
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

  /** The job's place at the stage it waits for ({@link QueueProgress#placeOf}). */
  @Override
  public Optional<QueuePosition> of(QueuePlace place) {
    if (queuedJobs().isEmpty()) {
      return Optional.empty();
    }
    Optional<Stage> stage =
        stages.stream().filter(s -> s.topic().equals(place.topic())).findFirst();
    List<TopicPartition> partitions = partitionsOf.getOrDefault(place.topic(), List.of());
    if (stage.isEmpty() || partitions.isEmpty()) {
      return Optional.empty();
    }
    return progress
        .placeOf(
            new TopicPartition(place.topic(), place.partition()),
            place.offset(),
            partitions,
            clock.millis())
        .map(
            at -> {
              QueuePosition.Builder position =
                  QueuePosition.newBuilder()
                      .setStage(stageName(stage.get().group()))
                      .setJobsAhead(at.recordsAhead());
              at.startMillis().ifPresent(start -> position.setEstimatedStart(timestamp(start)));
              return position.build();
            });
  }

  private static String stageName(String group) {
    return group.startsWith(GROUP_PREFIX) ? group.substring(GROUP_PREFIX.length()) : group;
  }

  private static Timestamp timestamp(long millis) {
    return Timestamp.newBuilder()
        .setSeconds(Math.floorDiv(millis, 1000))
        .setNanos(Math.floorMod(millis, 1000) * 1_000_000)
        .build();
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
      // The topics may have changed under the failure: describe them again next time.
      describeAgainAtMillis = 0;
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
    long now = clock.millis();
    Map<String, List<TopicPartition>> partitions = partitions(now, timeout);
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    partitions.values().forEach(list -> list.forEach(p -> latest.put(p, OffsetSpec.latest())));
    Map<TopicPartition, ListOffsetsResultInfo> ends =
        admin.listOffsets(latest).all().get(timeout, TimeUnit.MILLISECONDS);
    // Every stage's committed offsets in one request.
    Map<String, ListConsumerGroupOffsetsSpec> groups = new HashMap<>();
    stages.forEach(stage -> groups.put(stage.group(), new ListConsumerGroupOffsetsSpec()));
    ListConsumerGroupOffsetsResult offsets = admin.listConsumerGroupOffsets(groups);
    Map<Stage, Map<TopicPartition, OffsetAndMetadata>> committed = new HashMap<>();
    Map<TopicPartition, OffsetSpec> uncommitted = new HashMap<>();
    for (Stage stage : stages) {
      Map<TopicPartition, OffsetAndMetadata> byPartition =
          offsets.partitionsToOffsetAndMetadata(stage.group()).get(timeout, TimeUnit.MILLISECONDS);
      committed.put(stage, byPartition);
      for (TopicPartition partition : partitions.getOrDefault(stage.topic(), List.of())) {
        if (byPartition.get(partition) == null) {
          uncommitted.put(partition, OffsetSpec.earliest());
        }
      }
    }
    // Only a group that never committed a partition reads it from the log's start.
    Map<TopicPartition, ListOffsetsResultInfo> starts =
        uncommitted.isEmpty()
            ? Map.of()
            : admin.listOffsets(uncommitted).all().get(timeout, TimeUnit.MILLISECONDS);
    long queued = 0;
    Map<String, Long> heads = heads();
    // The queue heads move on as the stages work: the stages stood where measured when they were
    // read, the last of the readings.
    long measuredAt = clock.millis();
    for (Stage stage : stages) {
      Map<TopicPartition, OffsetAndMetadata> byPartition =
          Objects.requireNonNull(committed.get(stage));
      List<QueueProgress.Sample> samples = new ArrayList<>();
      for (TopicPartition partition : partitions.getOrDefault(stage.topic(), List.of())) {
        ListOffsetsResultInfo end = ends.get(partition);
        if (end == null) {
          continue;
        }
        OffsetAndMetadata position = byPartition.get(partition);
        // starts holds every partition no stage committed: it was asked for exactly those.
        long from =
            position != null
                ? position.offset()
                : Objects.requireNonNull(starts.get(partition)).offset();
        queued += Math.max(0, end.offset() - from);
        Long head = heads.get(QueuePlace.partitionKey(partition.topic(), partition.partition()));
        long next = head == null ? from : Math.max(from, head + 1);
        samples.add(new QueueProgress.Sample(partition, next, end.offset()));
      }
      progress.record(stage.topic(), samples, measuredAt);
    }
    return queued;
  }

  /**
   * Each input topic's partitions, described again every {@link #REDESCRIBE_AFTER} (topics gain
   * partitions rarely) or after a failed measurement.
   */
  private Map<String, List<TopicPartition>> partitions(long now, long timeout)
      throws InterruptedException, ExecutionException, TimeoutException {
    if (!partitionsOf.isEmpty() && now < describeAgainAtMillis) {
      return partitionsOf;
    }
    Set<String> topics = stages.stream().map(Stage::topic).collect(Collectors.toSet());
    Map<String, TopicDescription> described =
        admin.describeTopics(topics).allTopicNames().get(timeout, TimeUnit.MILLISECONDS);
    Map<String, List<TopicPartition>> partitions = new HashMap<>();
    for (TopicDescription topic : described.values()) {
      partitions.put(
          topic.name(),
          topic.partitions().stream()
              .map(p -> new TopicPartition(topic.name(), p.partition()))
              .toList());
    }
    partitionsOf = Map.copyOf(partitions);
    describeAgainAtMillis = now + REDESCRIBE_AFTER.toMillis();
    return partitionsOf;
  }

  /** The queue heads; none while Redis does not answer (the committed offsets stand in). */
  private Map<String, Long> heads() {
    try {
      return queueHeads.get();
    } catch (RuntimeException e) {
      LOG.debugf("Cannot read the queue heads (%s); using committed offsets", e.toString());
      return Map.of();
    }
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
