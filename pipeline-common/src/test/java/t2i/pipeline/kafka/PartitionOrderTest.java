package t2i.pipeline.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import t2i.local.SharedLocalStack;
import t2i.pipeline.kafka.KafkaClients.PartitionOrder;

/**
 * A group consumer's order, against a real broker, behind a backlog in every partition: a stage's
 * takes the partitions up in turn instead of one partition's whole backlog before the next.
 */
class PartitionOrderTest {

  private static final int PARTITIONS = 3;
  private static final int PER_PARTITION = 20;

  /** About the size of a queued job's record: its request and its token ids, compressed. */
  private static final int RECORD_BYTES = 700;

  private static final int TAKEN = 24;

  private static KafkaEndpoint endpoint;
  private static Admin admin;
  private static KafkaProducer<String, byte[]> producer;

  @BeforeAll
  static void connect() {
    endpoint = KafkaEndpoint.of(SharedLocalStack.get().kafkaBootstrapServers());
    admin = KafkaClients.admin(endpoint, "partition-order-test-admin");
    producer = KafkaClients.producer(endpoint, "partition-order-test");
  }

  @AfterAll
  static void disconnect() {
    producer.close();
    admin.close();
  }

  @Test
  void behindABacklogInEveryPartition_aConsumerInTurnTakesUpAFewRecordsOfEachPartitionInTurn()
      throws Exception {
    Map<Integer, Long> takenPerPartition = firstTaken(PartitionOrder.IN_TURN);

    assertThat(takenPerPartition)
        .as("partitions of the first %d records taken", TAKEN)
        .hasSize(PARTITIONS)
        .allSatisfy((partition, taken) -> assertThat(taken).isGreaterThanOrEqualTo(TAKEN / 6));
  }

  @Test
  void behindABacklogInEveryPartition_aConsumerAsFetchedTakesUpOnePartitionsBacklogAtATime()
      throws Exception {
    Map<Integer, Long> takenPerPartition = firstTaken(PartitionOrder.AS_FETCHED);

    assertThat(takenPerPartition.values())
        .as("the first %d records taken come from at most two partitions", TAKEN)
        .hasSizeLessThanOrEqualTo(2);
  }

  /** A new topic with {@link #PER_PARTITION} records waiting in each partition, each sent alone. */
  private static String backlog() throws Exception {
    String topic = "queue-test-" + UUID.randomUUID();
    admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get();
    byte[] value = new byte[RECORD_BYTES];
    new Random(7).nextBytes(value); // as little compressible as a record
    for (int i = 0; i < PER_PARTITION; i++) {
      for (int partition = 0; partition < PARTITIONS; partition++) {
        producer.send(new ProducerRecord<>(topic, partition, "job-" + i, value)).get();
      }
    }
    return topic;
  }

  /**
   * The partitions of the first {@link #TAKEN} records a new group's consumer takes from a new
   * backlog, counted.
   */
  private static Map<Integer, Long> firstTaken(PartitionOrder order) throws Exception {
    String topic = backlog();
    List<Integer> partitions = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer =
        KafkaClients.groupConsumer(
            endpoint,
            "group-" + UUID.randomUUID(),
            "partition-order-test",
            Optional.empty(),
            Duration.ofSeconds(10),
            2,
            order)) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (partitions.size() < TAKEN && System.nanoTime() - deadline < 0) {
        for (ConsumerRecord<String, byte[]> taken : consumer.poll(Duration.ofMillis(200))) {
          partitions.add(taken.partition());
        }
      }
    }
    assertThat(partitions).as("records taken within 30 s").hasSizeGreaterThanOrEqualTo(TAKEN);
    return partitions.subList(0, TAKEN).stream()
        .collect(Collectors.groupingBy(p -> p, Collectors.counting()));
  }
}
