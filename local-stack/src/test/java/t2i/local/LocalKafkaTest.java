package t2i.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LocalKafkaTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private static LocalKafka kafka;

  @BeforeAll
  static void startBroker() {
    kafka = LocalKafka.start();
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  @Test
  void idempotentAcksAllRecord_isConsumedBack() throws Exception {
    String topic = "produced-and-consumed";
    KafkaClients.createTopic(kafka.bootstrapServers(), topic, 4);

    try (Producer<String, String> producer = KafkaClients.producer(kafka.bootstrapServers())) {
      producer.send(new ProducerRecord<>(topic, "job-1", "hello")).get();
    }

    try (Consumer<String, String> consumer =
        KafkaClients.consumer(kafka.bootstrapServers(), "consumed-back")) {
      consumer.subscribe(List.of(topic));
      List<ConsumerRecord<String, String>> records = KafkaClients.poll(consumer, 1, TIMEOUT);
      assertThat(records)
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.key()).isEqualTo("job-1");
                assertThat(r.value()).isEqualTo("hello");
              });
    }
  }

  @Test
  void committedOffset_isWhereTheNextMemberOfTheGroupResumes() throws Exception {
    String topic = "group-offsets";
    String group = "resuming-group";
    TopicPartition partition = new TopicPartition(topic, 0);
    KafkaClients.createTopic(kafka.bootstrapServers(), topic, 1);
    try (Producer<String, String> producer = KafkaClients.producer(kafka.bootstrapServers())) {
      for (String value : List.of("a", "b", "c")) {
        producer.send(new ProducerRecord<>(topic, "job", value)).get();
      }
    }

    try (Consumer<String, String> first = KafkaClients.consumer(kafka.bootstrapServers(), group)) {
      first.subscribe(List.of(topic));
      assertThat(KafkaClients.poll(first, 3, TIMEOUT)).hasSize(3);
      // Only the first record counts as processed.
      first.commitSync(Map.of(partition, new OffsetAndMetadata(1)));
    }

    try (Consumer<String, String> second = KafkaClients.consumer(kafka.bootstrapServers(), group)) {
      assertThat(second.committed(Set.of(partition)).get(partition))
          .extracting(OffsetAndMetadata::offset)
          .isEqualTo(1L);
      second.subscribe(List.of(topic));
      assertThat(KafkaClients.poll(second, 2, TIMEOUT))
          .extracting(ConsumerRecord::value)
          .containsExactly("b", "c");
    }
  }

  @Test
  void topicCreatedWithoutPartitionCount_getsTheConfiguredDefault() throws Exception {
    String topic = "default-partitions";
    try (Admin admin = KafkaClients.admin(kafka.bootstrapServers())) {
      admin
          .createTopics(List.of(new NewTopic(topic, Optional.empty(), Optional.empty())))
          .all()
          .get();
      int partitions =
          Objects.requireNonNull(
                  admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic))
              .partitions()
              .size();
      assertThat(partitions).isEqualTo(LocalKafka.Settings.DEFAULTS.numPartitions());
    }
  }

  @Test
  void producingToAMissingTopic_failsAndDoesNotCreateIt() throws Exception {
    String topic = "never-created";
    // Waits one second for the topic to appear, instead of the default minute.
    try (Producer<String, String> producer =
        KafkaClients.producer(kafka.bootstrapServers(), Duration.ofSeconds(1))) {
      assertThatThrownBy(() -> producer.send(new ProducerRecord<>(topic, "job", "x")).get())
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(TimeoutException.class)
          .hasMessageContaining("not present in metadata");
    }
    assertThat(KafkaClients.topics(kafka.bootstrapServers())).doesNotContain(topic);
  }

  @Test
  void brokerLogCategories_areAtWarn() {
    for (String category : KafkaLogLevels.BROKER_CATEGORIES) {
      assertThat(Logger.getLogger(category).getLevel()).as(category).isEqualTo(Level.WARNING);
    }
  }
}
