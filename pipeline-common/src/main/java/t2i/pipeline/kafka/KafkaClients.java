package t2i.pipeline.kafka;

import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Creates the Kafka clients every stage uses, with the delivery settings the pipeline relies on.
 * Keys are job ids (strings), values serialized protobuf messages. The caller owns and closes what
 * it creates.
 */
public final class KafkaClients {

  private KafkaClients() {}

  /** One producer per process: it is thread-safe and batches better when shared. */
  public static KafkaProducer<String, byte[]> producer(KafkaEndpoint endpoint, String clientId) {
    Properties props = endpoint.baseProperties();
    props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    // An output counts as delivered only once every in-sync replica has it.
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    // Retries must not duplicate or reorder a job's messages.
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    // Every hop sends as soon as it has something: a job's few records cross the pipeline in
    // sequence, and a linger would add to each hop (Kafka's default is 5 ms). Under load records
    // still share requests while earlier ones are in flight. t2i.kafka.client."linger.ms" trades
    // latency for fewer, larger requests.
    props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return new KafkaProducer<>(endpoint.withOverrides(props));
  }

  /**
   * A consumer in {@code groupId} that never commits on its own, with dynamic membership and the
   * default session timeout.
   */
  public static KafkaConsumer<String, byte[]> groupConsumer(
      KafkaEndpoint endpoint, String groupId, String clientId, int maxPollRecords) {
    return groupConsumer(
        endpoint,
        groupId,
        clientId,
        Optional.empty(),
        Duration.ofSeconds(45),
        maxPollRecords,
        PartitionOrder.AS_FETCHED);
  }

  /** How a group consumer takes up the records of its partitions. */
  public enum PartitionOrder {
    /**
     * Kafka's own: it fetches up to {@code max.partition.fetch.bytes} (1 MiB by default) of each
     * partition and hands one partition's fetched records over before the next partition's. For
     * readers of events, in no queue order and some large (previews).
     */
    AS_FETCHED,
    /**
     * A few records of each partition in turn, so that jobs leave a queue close to the order they
     * joined it across partitions. Fetched as Kafka does it, a partition's whole backlog of jobs (a
     * few hundred bytes each) would go before any of the others', however much earlier those were
     * queued, and no estimate of a job's wait from its place in its partition could hold. Fetching
     * {@value KafkaClients#IN_TURN_PARTITION_FETCH_BYTES} bytes of each partition at a time takes
     * them up side by side. A larger record batch is still fetched whole, on its own, when its
     * partition's turn comes first. Under a backlog this costs a fetch request per few records, not
     * per record: small next to encoding or denoising a job. {@code
     * t2i.kafka.client."max.partition.fetch.bytes"} overrides it.
     */
    IN_TURN
  }

  /** How much of each partition a consumer taking them {@link PartitionOrder#IN_TURN} fetches. */
  public static final int IN_TURN_PARTITION_FETCH_BYTES = 2048;

  /**
   * A consumer in {@code groupId} that never commits on its own. {@code maxPollRecords} bounds what
   * one poll hands over, so the work taken per poll stays within the stage's in-flight bound.
   * Partitions move with the cooperative sticky assignor: a rebalance takes from a member only the
   * partitions that go elsewhere, so the others' work goes on. With an {@code instanceId} the
   * consumer is a static member: after a restart within {@code sessionTimeout} it gets its
   * partitions back without a rebalance.
   */
  public static KafkaConsumer<String, byte[]> groupConsumer(
      KafkaEndpoint endpoint,
      String groupId,
      String clientId,
      Optional<String> instanceId,
      Duration sessionTimeout,
      int maxPollRecords,
      PartitionOrder order) {
    Properties props = endpoint.baseProperties();
    props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    instanceId.ifPresent(id -> props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, id));
    props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) sessionTimeout.toMillis());
    // Heartbeats at most a third of the session timeout apart, as Kafka recommends, and no rarer
    // than Kafka's default: a rebalance reaches members at their next heartbeat.
    props.put(
        ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
        Math.clamp(sessionTimeout.toMillis() / 3, 500, 3000));
    props.put(
        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        CooperativeStickyAssignor.class.getName());
    // Offsets are committed only after a record's output is acknowledged.
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    // A new group must not skip jobs that were accepted before it first joined.
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    if (order == PartitionOrder.IN_TURN) {
      props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, IN_TURN_PARTITION_FETCH_BYTES);
    }
    return new KafkaConsumer<>(endpoint.withOverrides(props));
  }

  /**
   * A consumer outside any group, for reading every partition of a topic (each gateway replica
   * reads all job events).
   */
  public static KafkaConsumer<String, byte[]> broadcastConsumer(
      KafkaEndpoint endpoint, String clientId) {
    Properties props = endpoint.baseProperties();
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return new KafkaConsumer<>(endpoint.withOverrides(props));
  }

  public static Admin admin(KafkaEndpoint endpoint, String clientId) {
    Properties props = endpoint.baseProperties();
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    return Admin.create(endpoint.withOverrides(props));
  }
}
