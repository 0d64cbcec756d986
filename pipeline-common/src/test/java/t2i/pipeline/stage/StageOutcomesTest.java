package t2i.pipeline.stage;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import t2i.local.SharedLocalStack;
import t2i.pipeline.TestTopics;
import t2i.pipeline.job.JobStore;
import t2i.pipeline.job.JobTracker;
import t2i.pipeline.kafka.Delivery;
import t2i.pipeline.kafka.KafkaClients;
import t2i.pipeline.kafka.KafkaEndpoint;
import t2i.pipeline.kafka.Publisher;
import t2i.pipeline.v1.DeadLetter;
import t2i.pipeline.v1.JobSpec;
import t2i.v1.JobState;

/** How a stage ends what it cannot complete, against a real broker and Redis. */
class StageOutcomesTest {

  private static final String DEAD_LETTERS = "outcomes-test-dead-letters-" + UUID.randomUUID();
  private static final String EVENTS = "outcomes-test-events";

  private static KafkaEndpoint endpoint;
  private static UnifiedJedis redis;
  private static KafkaProducer<String, byte[]> producer;
  private static JobStore store;
  private static StageOutcomes<JobSpec> outcomes;

  @BeforeAll
  static void connect() {
    endpoint = KafkaEndpoint.of(SharedLocalStack.get().kafkaBootstrapServers());
    TestTopics.create(endpoint, DEAD_LETTERS, EVENTS);
    redis = StageConnections.openRedis(SharedLocalStack.get().redisUrl());
    producer = KafkaClients.producer(endpoint, "outcomes-test");
    Publisher publisher = new Publisher(producer, Runnable::run);
    store = new JobStore(redis, Duration.ofMinutes(5), InstantSource.system());
    JobTracker tracker = new JobTracker(store, publisher, EVENTS, InstantSource.system());
    outcomes =
        new StageOutcomes<>(
            publisher, DEAD_LETTERS, tracker, "test-stage", spec -> spec, InstantSource.system());
  }

  @AfterAll
  static void disconnect() {
    producer.close();
    redis.close();
  }

  private static Delivery<JobSpec> delivery(JobSpec spec) {
    return new Delivery<>(spec.getJobId(), spec, "t2i.jobs", 0, 0, 1);
  }

  private static JobSpec newSpec() {
    return JobSpec.newBuilder().setJobId(UUID.randomUUID().toString()).build();
  }

  private static DeadLetter onlyDeadLetter() throws Exception {
    try (KafkaConsumer<String, byte[]> consumer =
        KafkaClients.broadcastConsumer(endpoint, "outcomes-test-reader")) {
      TopicPartition partition = new TopicPartition(DEAD_LETTERS, 0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (System.nanoTime() < until) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          return DeadLetter.parseFrom(r.value());
        }
      }
      throw new AssertionError("no dead letter arrived");
    }
  }

  @Test
  void aRecordOfOneMegabyte_isParkedShortened_withItsSizeAndDigest() throws Exception {
    byte[] garbage = new byte[1_000_000];
    new Random(7).nextBytes(garbage);

    outcomes
        .park(
            new ConsumerRecord<>("t2i.jobs", 0, 42, "garbage", garbage),
            Optional.empty(),
            new IllegalStateException("undecodable"))
        .toCompletableFuture()
        .join();

    DeadLetter letter = onlyDeadLetter();
    assertThat(letter.getValueSize()).isEqualTo(1_000_000);
    assertThat(letter.getValueTruncated()).isTrue();
    assertThat(letter.getValue().size()).isEqualTo(StageOutcomes.MAX_PARKED_VALUE);
    assertThat(letter.getValueSha256().size()).isEqualTo(32);
    assertThat(letter.getSourceTopic()).isEqualTo("t2i.jobs");
    assertThat(letter.getOffset()).isEqualTo(42);
    assertThat(letter.getError()).contains("undecodable");
  }

  @Test
  void failed_endsTheJobWithItsReason_recreatingARecordRedisLost() {
    JobSpec spec = newSpec();

    outcomes.failed(delivery(spec), "bad model").toCompletableFuture().join();

    assertThat(store.find(spec.getJobId()).orElseThrow().state()).isEqualTo(JobState.FAILED);
    assertThat(store.find(spec.getJobId()).orElseThrow().reason()).isEqualTo("bad model");
  }

  @Test
  void expired_saysWhichDependencyWasAway() {
    JobSpec spec = newSpec();

    outcomes
        .expired(delivery(spec), new JedisConnectionException("connection refused"))
        .toCompletableFuture()
        .join();

    assertThat(store.find(spec.getJobId()).orElseThrow().state()).isEqualTo(JobState.EXPIRED);
    assertThat(store.find(spec.getJobId()).orElseThrow().reason()).contains("waited for Redis");
  }
}
