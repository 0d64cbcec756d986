package t2i.pipeline.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import t2i.local.SharedLocalStack;
import t2i.pipeline.v1.TokenChunk;

/** The stage loop against a real broker: at-least-once, retries, poison pills, bounds. */
class JobLoopTest {

  private static KafkaEndpoint endpoint;
  private static Admin admin;
  private static KafkaProducer<String, byte[]> producer;
  private static Publisher publisher;

  private final String topic = "loop-test-" + UUID.randomUUID();
  private final String group = "group-" + UUID.randomUUID();
  private final List<ConsumerRecord<String, byte[]>> givenUp = new CopyOnWriteArrayList<>();
  private JobLoop<TokenChunk> loop;
  private Thread thread;

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
    if (loop != null) {
      loop.close();
      thread.join(20_000);
    }
  }

  private void start(JobHandler<TokenChunk> handler, int maxInFlight, int maxAttempts)
      throws Exception {
    admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
    int maxPoll = Math.max(1, maxInFlight / 2);
    loop =
        JobLoop.<TokenChunk>builder()
            .name("test")
            .topic(topic)
            .consumer(KafkaClients.groupConsumer(endpoint, group, "test", maxPoll))
            .parser(TokenChunk.parser())
            .handler(handler)
            .failureSink(
                (record, cause) -> {
                  givenUp.add(record);
                  return CompletableFuture.completedFuture(null);
                })
            .maxInFlight(maxInFlight, maxPoll)
            .retries(maxAttempts, Duration.ofMillis(10))
            .build();
    thread = Thread.ofPlatform().name("loop-under-test").start(loop);
  }

  private void send(String key, int id) {
    publisher.send(topic, key, TokenChunk.newBuilder().addIds(id).build()).join();
  }

  private long committed() throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets =
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    OffsetAndMetadata offset = offsets.get(new TopicPartition(topic, 0));
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

    send("job-1", 7);
    await().until(() -> handled.get() == 1);
    // The handler has the record, but its output is not acknowledged: nothing may be committed.
    await().during(Duration.ofMillis(500)).until(() -> committed() == 0);

    output.complete(null);
    await().until(() -> committed() == 1);
  }

  @Test
  void deliveries_carryTheDecodedValueAndTheJobIdKey() throws Exception {
    Map<String, Integer> seen = new ConcurrentHashMap<>();
    start(
        delivery -> {
          seen.put(delivery.jobId(), delivery.value().getIds(0));
          return CompletableFuture.completedFuture(null);
        },
        4,
        1);

    send("job-a", 1);
    send("job-b", 2);

    await().until(() -> seen.size() == 2);
    assertThat(seen).containsEntry("job-a", 1).containsEntry("job-b", 2);
    await().until(() -> committed() == 2);
  }

  @Test
  void failingRecord_isRetriedThenGivenUp_andThenCommitted() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    start(
        delivery -> {
          attempts.incrementAndGet();
          return CompletableFuture.failedFuture(new IllegalStateException("engine down"));
        },
        4,
        3);

    send("job-1", 1);

    await().until(() -> givenUp.size() == 1);
    assertThat(attempts.get()).isEqualTo(3);
    assertThat(givenUp.getFirst().key()).isEqualTo("job-1");
    await().until(() -> committed() == 1);
  }

  @Test
  void handlerThatThrows_isTreatedAsAFailure() throws Exception {
    start(
        delivery -> {
          throw new IllegalStateException("bug");
        },
        4,
        2);

    send("job-1", 1);

    await().until(() -> givenUp.size() == 1);
    await().until(() -> committed() == 1);
  }

  @Test
  void undecodableRecord_skipsTheHandlerAndGoesToTheSink() throws Exception {
    AtomicInteger handled = new AtomicInteger();
    start(
        delivery -> {
          handled.incrementAndGet();
          return CompletableFuture.completedFuture(null);
        },
        4,
        3);

    // Field 1 with wire type 7 does not exist: not a TokenChunk.
    publisher.send(topic, "poison", ByteString.copyFrom(new byte[] {0x0f, 1}).toByteArray()).join();
    send("job-2", 2);

    await().until(() -> committed() == 2);
    assertThat(givenUp).extracting(ConsumerRecord::key).containsExactly("poison");
    assertThat(handled.get()).isEqualTo(1);
  }

  @Test
  void recordsInFlight_neverExceedTheBound() throws Exception {
    int bound = 4;
    Set<CompletableFuture<Void>> running = ConcurrentHashMap.newKeySet();
    AtomicInteger maxRunning = new AtomicInteger();
    AtomicInteger started = new AtomicInteger();
    start(
        delivery -> {
          CompletableFuture<Void> work = new CompletableFuture<>();
          running.add(work);
          started.incrementAndGet();
          maxRunning.accumulateAndGet(running.size(), Math::max);
          work.whenComplete((v, e) -> running.remove(work));
          return work;
        },
        bound,
        1);

    for (int i = 0; i < 20; i++) {
      send("job-" + i, i);
    }
    // Everything waits; the loop stops taking records at the bound.
    await().until(() -> started.get() > 0);
    await().during(Duration.ofMillis(500)).until(() -> started.get() <= bound);

    // Finishing work lets more in, never more than the bound at once.
    while (started.get() < 20 || !running.isEmpty()) {
      running.forEach(w -> w.complete(null));
    }
    await().until(() -> committed() == 20);
    assertThat(maxRunning.get()).isLessThanOrEqualTo(bound);
  }

  @Test
  void close_letsInFlightWorkFinishAndCommitsIt() throws Exception {
    CompletableFuture<Void> output = new CompletableFuture<>();
    AtomicInteger handled = new AtomicInteger();
    start(
        delivery -> {
          handled.incrementAndGet();
          return output;
        },
        4,
        1);
    send("job-1", 1);
    await().until(() -> handled.get() == 1);

    loop.close();
    output.complete(null);
    thread.join(20_000);

    assertThat(thread.isAlive()).isFalse();
    assertThat(committed()).isEqualTo(1);
    loop = null;
  }
}
