package t2i.encoder;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Tells a test when a stage is done with a record, without guessing at timing: a stage commits a
 * record's offset only after every output of it is acknowledged, so once the group's committed
 * offset has passed the record, whatever the stage made of it is in its output topics.
 */
final class ConsumedRecords {

  private ConsumedRecords() {}

  /** Waits until consumer group {@code group} has committed past {@code record}. */
  static void awaitHandled(
      String bootstrapServers, String group, RecordMetadata record, Duration timeout) {
    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    try (Admin admin = Admin.create(props)) {
      await()
          .atMost(timeout)
          .until(
              () -> {
                Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
                OffsetAndMetadata offset = committed.get(partition);
                return offset != null && offset.offset() > record.offset();
              });
    }
  }

  /** The values under {@code key} in every partition of {@code topic}, up to its current end. */
  static List<byte[]> readToEnd(String bootstrapServers, String topic, String key) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      List<byte[]> values = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        if (System.nanoTime() - deadline > 0) {
          throw new IllegalStateException("could not read " + topic + " up to " + end);
        }
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          if (key.equals(record.key())) {
            values.add(record.value());
          }
        }
      }
      return values;
    }
  }
}
