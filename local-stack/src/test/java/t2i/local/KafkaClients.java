package t2i.local;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Clients configured the way the services configure theirs, for tests against a broker. */
final class KafkaClients {

  private KafkaClients() {}

  static Admin admin(String bootstrapServers) {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
  }

  static void createTopic(String bootstrapServers, String topic, int partitions)
      throws ExecutionException, InterruptedException {
    try (Admin admin = admin(bootstrapServers)) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
    }
  }

  static Set<String> topics(String bootstrapServers)
      throws ExecutionException, InterruptedException {
    try (Admin admin = admin(bootstrapServers)) {
      return admin.listTopics().names().get();
    }
  }

  static Producer<String, String> producer(String bootstrapServers) {
    return producer(bootstrapServers, Duration.ofSeconds(10));
  }

  /** A producer that waits at most {@code maxBlock} for a topic's metadata. */
  static Producer<String, String> producer(String bootstrapServers, Duration maxBlock) {
    Map<String, Object> config =
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers,
            ProducerConfig.ACKS_CONFIG,
            "all",
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            true,
            ProducerConfig.MAX_BLOCK_MS_CONFIG,
            (int) maxBlock.toMillis());
    return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
  }

  static Consumer<String, String> consumer(String bootstrapServers, String groupId) {
    return new KafkaConsumer<>(
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers,
            ConsumerConfig.GROUP_ID_CONFIG,
            groupId,
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            "earliest",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            false),
        new StringDeserializer(),
        new StringDeserializer());
  }

  /** Polls until {@code count} records arrived or {@code timeout} passed; returns what arrived. */
  static List<ConsumerRecord<String, String>> poll(
      Consumer<String, String> consumer, int count, Duration timeout) {
    List<ConsumerRecord<String, String>> records = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (records.size() < count && System.nanoTime() - deadline < 0) {
      consumer.poll(Duration.ofMillis(200)).forEach(records::add);
    }
    return records;
  }
}
