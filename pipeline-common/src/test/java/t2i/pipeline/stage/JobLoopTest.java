package t2i.pipeline.stage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.MDC;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.exceptions.JedisConnectionException;
import t2i.local.SharedLocalStack;
import t2i.pipeline.failure.JobFailure;
import t2i.pipeline.failure.StageFatalError;
import t2i.pipeline.kafka.Delivery;
import t2i.pipeline.kafka.JobHandler;
import t2i.pipeline.kafka.KafkaClients;
import t2i.pipeline.kafka.KafkaEndpoint;
import t2i.pipeline.kafka.Publisher;
import t2i.pipeline.telemetry.JobTraces;
import t2i.pipeline.v1.JobSpec;

/**
 * The stage loop against a real broker: at-least-once, the failure taxonomy (permanent, transient,
 * unexpected, fatal), poison pills, bounds, revocation.
 */
class JobLoopTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private static KafkaEndpoint endpoint;
  private static Admin admin;
  private static KafkaProducer<String, byte[]> producer;
  private static Publisher publisher;

  private final String topic = "loop-test-" + UUID.randomUUID();
  private final String group = "group-" + UUID.randomUUID();
  private final RecordingSink sink = new RecordingSink();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final AtomicReference<Throwable> fatal = new AtomicReference<>();
  private final List<JobLoop<JobSpec>> loops = new CopyOnWriteArrayList<>();
  private final List<Thread> threads = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void connect() {
    endpoint = KafkaEndpoint.of(SharedLocalStack.get().kafkaBootstrapServers());
    admin = KafkaClients.admin(endpoint, "loop-test-admin");
    producer = KafkaClients.producer(endpoint, "loop-test");
    publisher = new Publisher(producer, Runnable::run);
  }

  @AfterAll
  static void disconnect() {
    producer.close();
    admin.close();
  }

  @AfterEach
  void stop() throws InterruptedException {
    loops.forEach(JobLoop::close);
    for (Thread thread : threads) {
      thread.join(20_000);
    }
  }

  private JobLoop<JobSpec> start(JobHandler<JobSpec> handler, int maxInFlight, int maxAttempts)
      throws Exception {
    return start(handler, maxInFlight, maxAttempts, 1);
  }

  private JobLoop<JobSpec> start(
      JobHandler<JobSpec> handler, int maxInFlight, int maxAttempts, int partitions)
      throws Exception {
    if (loops.isEmpty()) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
    }
    int maxPoll = Math.max(1, maxInFlight / 2);
    JobLoop<JobSpec> loop =
        JobLoop.<JobSpec>builder()
            .name("test-" + loops.size())
            .topic(topic)
            .consumer(
                KafkaClients.groupConsumer(
                    endpoint,
                    group,
                    "test",
                    Optional.empty(),
                    Duration.ofSeconds(6),
                    maxPoll,
                    KafkaClients.PartitionOrder.IN_TURN))
            .parser(JobSpec.parser())
            .handler(handler)
            .failureSink(sink)
            .deadline(JobSpec::getDeadlineUnixMs)
            .maxInFlight(maxInFlight, maxPoll)
            .retries(maxAttempts, Duration.ofMillis(10), Duration.ofMillis(50))
            .clocks(System::nanoTime, InstantSource.system())
            .onFatal(fatal::set)
            .shutdownGrace(Duration.ofSeconds(1))
            .telemetry(StageMetrics.create(meters, "test-stage"), JobTraces.none())
            .build();
    Thread thread = Thread.ofPlatform().name("loop-under-test-" + loops.size()).start(loop);
    loops.add(loop);
    threads.add(thread);
    return loop;
  }

  private void send(String jobId) {
    send(jobId, 0);
  }

  private void send(String jobId, long deadline) {
    publisher
        .send(
            topic, jobId, JobSpec.newBuilder().setJobId(jobId).setDeadlineUnixMs(deadline).build())
        .join();
  }

  private long committed() throws Exception {
    return committed(0);
  }

  private long committed(int partition) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets =
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    OffsetAndMetadata offset = offsets.get(new TopicPartition(topic, partition));
    return offset == null ? 0 : offset.offset();
  }

  @Test
  void offset_isCommittedOnlyOnceTheHandlersOutputIsAcknowledged() throws Exception {
    CompletableFuture<Void> output = new CompletableFuture<>();
    AtomicInteger handled = new AtomicInteger();
    start(
        delivery -> {
          handled.incrementAndGet();
          return output;
        },
        4,
        1);

    send("job-1");
    await().atMost(WAIT).until(() -> handled.get() == 1);
    // The handler has the record, but its output is not acknowledged: nothing may be committed.
    await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> committed() == 0);

    output.complete(null);
    await().atMost(WAIT).until(() -> committed() == 1);
  }

  @Test
  void deliveries_carryTheDecodedValueAndTheJobIdKey() throws Exception {
    Map<String, String> seen = new ConcurrentHashMap<>();
    start(
        delivery -> {
          seen.put(delivery.jobId(), delivery.value().getJobId());
          return CompletableFuture.completedFuture(null);
        },
        4,
        1);

    send("job-a");
    send("job-b");

    await().atMost(WAIT).until(() -> seen.size() == 2);
    assertThat(seen).containsEntry("job-a", "job-a").containsEntry("job-b", "job-b");
    await().atMost(WAIT).until(() -> committed() == 2);
  }

  @Test
  void permanentFailure_endsTheJobAtOnce_withItsReason_withoutRetrying() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    start(
        delivery -> {
          attempts.incrementAndGet();
          return CompletableFuture.failedFuture(new JobFailure("model 'x' is not installed"));
        },
        4,
        3);

    send("job-1");

    await().atMost(WAIT).until(() -> committed() == 1);
    assertThat(attempts.get()).isEqualTo(1);
    assertThat(sink.failed).containsExactly("job-1: model 'x' is not installed");
    assertThat(sink.parked).isEmpty();
  }

  @Test
  void unexpectedFailure_isRetriedThenParked_andThenCommitted() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    start(
        delivery -> {
          attempts.incrementAndGet();
          return CompletableFuture.failedFuture(new IllegalStateException("a bug"));
        },
        4,
        3);

    send("job-1");

    await().atMost(WAIT).until(() -> committed() == 1);
    assertThat(attempts.get()).isEqualTo(3);
    assertThat(sink.parked).extracting(ConsumerRecord::key).containsExactly("job-1");
  }

  @Test
  void everyRecord_isCountedAndTimed_andItsRetriesAndDeadLetterAreCounted() throws Exception {
    start(
        delivery ->
            delivery.jobId().equals("bad")
                ? CompletableFuture.failedFuture(new IllegalStateException("a bug"))
                : CompletableFuture.completedFuture(null),
        4,
        3);

    send("good");
    send("bad");

    await().atMost(WAIT).until(() -> committed() == 2);
    assertThat(meters.get("t2i.stage.records").tag("stage", "test-stage").counter().count())
        .isEqualTo(2);
    assertThat(meters.get("t2i.stage.queue.wait").timer().count())
        .as("time in queue, once per record")
        .isEqualTo(2);
    assertThat(meters.get("t2i.stage.handling").timer().count())
        .as("handling time, of the record whose work succeeded")
        .isEqualTo(1);
    assertThat(meters.get("t2i.stage.retries").tag("kind", "unexpected").counter().count())
        .isEqualTo(2);
    assertThat(meters.get("t2i.stage.retries").tag("kind", "transient").counter().count()).isZero();
    assertThat(meters.get("t2i.stage.dead.letters").counter().count()).isEqualTo(1);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(meters.get("t2i.stage.in.flight").gauge().value()).isZero();
              assertThat(meters.get("t2i.stage.consumer.lag").tag("partition", "0").gauge().value())
                  .isZero();
            });
  }

  @Test
  void whileTheHandlerTakesAJobOn_theLogContextNamesTheJob_andOnlyThatJob() throws Exception {
    List<Object> seen = new CopyOnWriteArrayList<>();
    start(
        delivery -> {
          seen.add(String.valueOf(MDC.get("jobId")));
          return CompletableFuture.completedFuture(null);
        },
        4,
        3);

    send("job-a");
    send("job-b");

    await().atMost(WAIT).until(() -> committed() == 2);
    assertThat(seen).containsExactly("job-a", "job-b");
  }

  @Test
  void handlerThatThrows_isTreatedAsAFailure() throws Exception {
    start(
        delivery -> {
          throw new IllegalStateException("bug");
        },
        4,
        2);

    send("job-1");

    await().atMost(WAIT).until(() -> committed() == 1);
    assertThat(sink.parked).hasSize(1);
  }

  @Test
  void transientFailure_isRetriedPastTheAttemptLimitUntilItWorks_andNoNewRecordStartsMeanwhile()
      throws Exception {
    AtomicInteger redisDown = new AtomicInteger(30);
    Set<String> started = ConcurrentHashMap.newKeySet();
    AtomicInteger attempts = new AtomicInteger();
    start(
        delivery -> {
          started.add(delivery.jobId());
          if (delivery.jobId().equals("job-1")) {
            attempts.incrementAndGet();
            if (redisDown.getAndDecrement() > 0) {
              throw new JedisConnectionException("Redis is down");
            }
          }
          return CompletableFuture.completedFuture(null);
        },
        4,
        2);

    send("job-1");
    await().atMost(WAIT).until(() -> attempts.get() >= 2);
    send("job-2");

    // While job-1 waits for Redis, the loop takes nothing new.
    await().atMost(WAIT).until(() -> redisDown.get() <= 0 || started.contains("job-2"));
    if (redisDown.get() > 0) {
      assertThat(started).doesNotContain("job-2");
    }
    await().atMost(WAIT).until(() -> committed() == 2);
    assertThat(attempts.get()).isEqualTo(31);
    assertThat(sink.failed).isEmpty();
    assertThat(sink.expired).isEmpty();
    assertThat(sink.parked).isEmpty();
  }

  @Test
  void transientFailure_pastTheJobsDeadline_endsItExpired() throws Exception {
    start(
        delivery -> {
          throw new JedisConnectionException("Redis is down");
        },
        4,
        2);

    send("job-1", System.currentTimeMillis() + 300);

    await().atMost(WAIT).until(() -> committed() == 1);
    assertThat(sink.expired).containsExactly("job-1");
    assertThat(sink.failed).isEmpty();
  }

  @Test
  void fatalFailure_stopsTheLoop_tellsOnFatal_andCommitsNothing() throws Exception {
    JobLoop<JobSpec> loop =
        start(
            delivery -> CompletableFuture.failedFuture(new StageFatalError("engine thread died")),
            4,
            3);

    send("job-1");

    await().atMost(WAIT).until(() -> fatal.get() != null);
    await().atMost(WAIT).until(() -> !loop.isRunning());
    threads.getFirst().join(WAIT.toMillis());
    assertThat(threads.getFirst().isAlive()).isFalse();
    assertThat(committed()).isZero();
  }

  @Test
  void sinkThatFailsTransiently_isRetriedUntilTheOutcomeIsRecorded() throws Exception {
    sink.unavailableTimes.set(5);
    start(delivery -> CompletableFuture.failedFuture(new JobFailure("bad input")), 4, 2);

    send("job-1");

    await().atMost(WAIT).until(() -> committed() == 1);
    assertThat(sink.failed).containsExactly("job-1: bad input");
  }

  @Test
  void sinkThatKeepsFailingUnexpectedly_doesNotBlockThePartition() throws Exception {
    sink.brokenForever = true;
    AtomicInteger handled = new AtomicInteger();
    start(
        delivery -> {
          handled.incrementAndGet();
          return delivery.jobId().equals("bad")
              ? CompletableFuture.failedFuture(new JobFailure("bad input"))
              : CompletableFuture.completedFuture(null);
        },
        4,
        2);

    send("bad");
    send("good");

    await().atMost(WAIT).until(() -> committed() == 2);
    assertThat(handled.get()).isEqualTo(2);
  }

  @Test
  void aSecondRecordOfTheSameJob_waitsUntilTheFirstIsDone() throws Exception {
    CompletableFuture<Void> first = new CompletableFuture<>();
    List<String> handled = new CopyOnWriteArrayList<>();
    start(
        delivery -> {
          handled.add(delivery.jobId() + "@" + delivery.offset());
          return delivery.offset() == 0 ? first : CompletableFuture.completedFuture(null);
        },
        8,
        1);

    send("job-1");
    send("job-1");
    send("job-2");
    await().atMost(WAIT).until(() -> handled.contains("job-2@2"));
    assertThat(handled).containsExactly("job-1@0", "job-2@2");

    first.complete(null);
    await().atMost(WAIT).until(() -> committed() == 3);
    assertThat(handled).containsExactly("job-1@0", "job-2@2", "job-1@1");
  }

  @Test
  void undecodableRecord_skipsTheHandlerAndIsParked() throws Exception {
    AtomicInteger handled = new AtomicInteger();
    start(
        delivery -> {
          handled.incrementAndGet();
          return CompletableFuture.completedFuture(null);
        },
        4,
        3);

    // Field 1 with wire type 7 does not exist: not a JobSpec.
    publisher.send(topic, "poison", ByteString.copyFrom(new byte[] {0x0f, 1}).toByteArray()).join();
    send("job-2");

    await().atMost(WAIT).until(() -> committed() == 2);
    assertThat(sink.parked).extracting(ConsumerRecord::key).containsExactly("poison");
    assertThat(handled.get()).isEqualTo(1);
  }

  @Test
  void recordsInFlight_neverExceedTheBound() throws Exception {
    int bound = 4;
    Queue<CompletableFuture<Void>> waiting = new ConcurrentLinkedQueue<>();
    AtomicInteger running = new AtomicInteger();
    AtomicInteger maxRunning = new AtomicInteger();
    AtomicInteger started = new AtomicInteger();
    start(
        delivery -> {
          started.incrementAndGet();
          maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
          CompletableFuture<Void> work = new CompletableFuture<>();
          waiting.add(work);
          return work.whenComplete((v, e) -> running.decrementAndGet());
        },
        bound,
        1);

    for (int i = 0; i < 20; i++) {
      send("job-" + i);
    }
    // Everything waits; the loop stops taking records at the bound.
    await().atMost(WAIT).until(() -> started.get() > 0);
    await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> started.get() <= bound);

    // Finishing work lets more in, never more than the bound at once.
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(10))
        .until(
            () -> {
              for (CompletableFuture<Void> work; (work = waiting.poll()) != null; ) {
                work.complete(null);
              }
              return started.get() == 20 && running.get() == 0;
            });
    await().atMost(WAIT).until(() -> committed() == 20);
    assertThat(maxRunning.get()).isLessThanOrEqualTo(bound);
  }

  @Test
  void close_letsInFlightWorkFinishAndCommitsIt() throws Exception {
    CompletableFuture<Void> output = new CompletableFuture<>();
    AtomicInteger handled = new AtomicInteger();
    JobLoop<JobSpec> loop =
        start(
            delivery -> {
              handled.incrementAndGet();
              return output;
            },
            4,
            1);
    send("job-1");
    await().atMost(WAIT).until(() -> handled.get() == 1);

    loop.close();
    output.complete(null);
    threads.getFirst().join(20_000);

    assertThat(threads.getFirst().isAlive()).isFalse();
    assertThat(committed()).isEqualTo(1);
  }

  @Test
  void partitionMovingToANewMember_stopsItsUnfinishedWorkHere_andTheNewOwnerGetsIt()
      throws Exception {
    Set<String> revokedOnFirst = ConcurrentHashMap.newKeySet();
    Set<String> startedOnFirst = ConcurrentHashMap.newKeySet();
    Set<String> startedOnSecond = ConcurrentHashMap.newKeySet();
    start(
        new JobHandler<>() {
          @Override
          public CompletionStage<?> handle(Delivery<JobSpec> delivery) {
            startedOnFirst.add(delivery.jobId());
            return new CompletableFuture<>();
          }

          @Override
          public void revoked(Delivery<JobSpec> delivery) {
            revokedOnFirst.add(delivery.jobId());
          }
        },
        32,
        1,
        2);
    for (int i = 0; i < 12; i++) {
      send("job-" + i);
    }
    await().atMost(WAIT).until(() -> startedOnFirst.size() == 12);

    start(
        delivery -> {
          startedOnSecond.add(delivery.jobId());
          return CompletableFuture.completedFuture(null);
        },
        8,
        1);

    // One partition moves: its jobs stop on the first member and run on the second.
    await().atMost(WAIT).until(() -> !startedOnSecond.isEmpty() && !revokedOnFirst.isEmpty());
    await().atMost(WAIT).until(() -> startedOnSecond.containsAll(revokedOnFirst));
    assertThat(revokedOnFirst).hasSizeLessThan(12);
  }

  /** Records what the loop asked of it; can fail on demand. */
  private static final class RecordingSink implements FailureSink<JobSpec> {
    final List<String> failed = new CopyOnWriteArrayList<>();
    final List<String> expired = new CopyOnWriteArrayList<>();
    final List<ConsumerRecord<String, byte[]>> parked = new CopyOnWriteArrayList<>();
    final AtomicInteger unavailableTimes = new AtomicInteger();
    volatile boolean brokenForever;

    private CompletionStage<?> outcome(Runnable record) {
      if (brokenForever) {
        return CompletableFuture.failedFuture(new IllegalStateException("sink broken"));
      }
      if (unavailableTimes.getAndDecrement() > 0) {
        return CompletableFuture.failedFuture(new JedisConnectionException("Redis is down"));
      }
      record.run();
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<?> failed(Delivery<JobSpec> delivery, @Nullable String reason) {
      return outcome(() -> failed.add(delivery.jobId() + ": " + reason));
    }

    @Override
    public CompletionStage<?> expired(Delivery<JobSpec> delivery, Throwable lastFailure) {
      return outcome(() -> expired.add(delivery.jobId()));
    }

    @Override
    public CompletionStage<?> park(
        ConsumerRecord<String, byte[]> record, Optional<JobSpec> value, Throwable cause) {
      return outcome(() -> parked.add(record));
    }
  }
}
