package t2i.local;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads what services published to a topic, for tests: every partition from the beginning, outside
 * any consumer group. Not thread-safe; owns its consumer.
 */
public final class TopicProbe implements AutoCloseable {

  private final KafkaConsumer<String, byte[]> consumer;
  private final List<ConsumerRecord<String, byte[]>> seen = new ArrayList<>();

  private TopicProbe(KafkaConsumer<String, byte[]> consumer) {
    this.consumer = consumer;
  }

  public static TopicProbe open(String bootstrapServers, String topic) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props);
    List<TopicPartition> partitions =
        consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
            .map(p -> new TopicPartition(topic, p.partition()))
            .toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    return new TopicProbe(consumer);
  }

  /** The values published under {@code key} so far, waiting until there are {@code count}. */
  public List<byte[]> awaitValues(String key, int count, Duration timeout) throws TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<byte[]> values = valuesFor(key);
      if (values.size() >= count) {
        return values;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new TimeoutException(
            "expected " + count + " records with key " + key + ", saw " + values.size());
      }
      consumer.poll(Duration.ofMillis(100)).forEach(seen::add);
    }
  }

  /** The first value published under {@code key}, waiting for it. */
  public byte[] awaitValue(String key, Duration timeout) throws TimeoutException {
    return awaitValues(key, 1, timeout).getFirst();
  }

  /** Everything read so far under {@code key}, without waiting. */
  public List<byte[]> valuesFor(String key) {
    return seen.stream().filter(r -> key.equals(r.key())).map(ConsumerRecord::value).toList();
  }

  /**
   * The values under {@code key} in every partition of {@code topic}, read up to the topic's end as
   * it is now.
   */
  public static List<byte[]> readToEnd(String bootstrapServers, String topic, String key) {
    try (TopicProbe probe = open(bootstrapServers, topic)) {
      Set<TopicPartition> partitions = probe.consumer.assignment();
      Map<TopicPartition, Long> end = probe.consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      // endOffsets answers for every partition it is asked about.
      while (partitions.stream()
          .anyMatch(p -> probe.consumer.position(p) < Objects.requireNonNull(end.get(p)))) {
        if (System.nanoTime() - deadline > 0) {
          throw new IllegalStateException("could not read " + topic + " up to " + end);
        }
        probe.consumer.poll(Duration.ofMillis(100)).forEach(probe.seen::add);
      }
      return probe.valuesFor(key);
    }
  }

  @Override
  public void close() {
    consumer.close();
  }
}
