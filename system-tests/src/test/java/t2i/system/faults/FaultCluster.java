package t2i.system.faults;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jspecify.annotations.Nullable;
import t2i.launcher.LocalCluster;
import t2i.launcher.Service;
import t2i.local.Directories;
import t2i.local.KafkaBrokerProcess;
import t2i.local.LocalRedis;
import t2i.local.StackEndpoints;
import t2i.pipeline.v1.JobEvent;

/**
 * t2i as an operator runs it, on this machine, with every part a process of its own that the fault
 * tests can kill, stop and start again: a Kafka broker JVM and a Redis server on fixed ports with
 * their data on disk, one gateway, one tokenizer service, two encoder workers and two diffusion
 * workers (restarted by the cluster's supervisor when they die). Owns all of it.
 */
final class FaultCluster implements AutoCloseable {

  private final Path dir;
  private final KafkaBrokerProcess broker;
  private final int redisPort;
  private LocalRedis redis;
  private final LocalCluster cluster;
  private final KafkaProducer<String, byte[]> rawProducer;

  private FaultCluster(
      Path dir, KafkaBrokerProcess broker, LocalRedis redis, LocalCluster cluster) {
    this.dir = dir;
    this.broker = broker;
    this.redis = redis;
    this.redisPort = redis.port();
    this.cluster = cluster;
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2 * 1024 * 1024);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    this.rawProducer = new KafkaProducer<>(props);
  }

  /** What the cluster's notifier signs every callback with. */
  static final String SIGNING_SECRET = "fault-suite-signing-secret";

  static FaultCluster start(Path home, Path dir) throws IOException, InterruptedException {
    if (Files.exists(dir)) {
      Directories.deleteRecursively(dir);
    }
    Files.createDirectories(dir);
    KafkaBrokerProcess broker =
        KafkaBrokerProcess.start(dir.resolve("kafka"), dir.resolve("logs/kafka-broker.log"));
    LocalRedis redis = null;
    try {
      redis = LocalRedis.start(dir.resolve("redis"));
      LocalCluster.Options options =
          LocalCluster.Options.forCheckout(home)
              .withLogDir(dir.resolve("logs"))
              .withDefaultModel("tiny-random")
              .withExternalStack(new StackEndpoints(broker.bootstrapServers(), redis.url()))
              .withInstances(Service.ENCODER, 2)
              .withInstances(Service.DIFFUSION, 2)
              .withExtraConfig(
                  Map.ofEntries(
                      // A dead worker's partitions move within seconds.
                      Map.entry("t2i.kafka.session-timeout", "PT6S"),
                      // Jobs outlive the longest outage the suite stages.
                      Map.entry("t2i.gateway.job-timeout", "PT5M"),
                      Map.entry("t2i.gateway.publish-timeout", "PT5S"),
                      Map.entry("t2i.gateway.quota.max-jobs-in-flight", "100000"),
                      Map.entry("t2i.gateway.quota.max-submissions", "100000"),
                      Map.entry("t2i.gateway.admission.max-queued-jobs", "100000"),
                      // Callbacks to the suite's receiver on this machine, retried every second.
                      Map.entry("t2i.gateway.callbacks.allowed-schemes", "http"),
                      Map.entry("t2i.gateway.callbacks.allow-private-addresses", "true"),
                      Map.entry("t2i.notifier.allow-private-addresses", "true"),
                      Map.entry("t2i.notifier.default-signing-secret", SIGNING_SECRET),
                      Map.entry("t2i.notifier.first-backoff", "PT0.5S"),
                      Map.entry("t2i.notifier.max-backoff", "PT1S")));
      LocalCluster cluster =
          LocalCluster.start(options, line -> System.out.println("fault cluster: " + line));
      return new FaultCluster(dir, broker, redis, cluster);
    } catch (IOException | InterruptedException | RuntimeException e) {
      if (redis != null) {
        redis.close();
      }
      broker.close();
      throw e;
    }
  }

  LocalCluster services() {
    return cluster;
  }

  KafkaBrokerProcess broker() {
    return broker;
  }

  /** Stops Redis in order; its append-only file keeps what it had. */
  synchronized void stopRedis() {
    redis.close();
  }

  /** Starts Redis again on the same port and data. */
  synchronized void startRedis() {
    redis = LocalRedis.start(dir.resolve("redis"), redisPort);
  }

  /** Stops Redis, deletes everything it had, and starts it empty on the same port. */
  synchronized void restartRedisEmpty() throws IOException {
    redis.close();
    Directories.deleteRecursively(dir.resolve("redis"));
    startRedis();
  }

  /** Writes raw bytes to a topic, as a buggy or hostile producer would. */
  void produceRaw(String topic, @Nullable String key, byte[] value) throws Exception {
    rawProducer.send(new ProducerRecord<>(topic, key, value)).get();
  }

  /**
   * When each of the jobs was announced ended, from the job events topic (Kafka keeps what Redis
   * may have lost); jobs without such an event are absent.
   */
  Map<String, Long> finishedAt(Set<String> jobIds) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    Map<String, Long> finished = new HashMap<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions =
          consumer.partitionsFor("t2i.events").stream()
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.getOrDefault(p, 0L))) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          if (!jobIds.contains(record.key())) {
            continue;
          }
          try {
            JobEvent event = JobEvent.parseFrom(record.value());
            if (event.hasFinished()) {
              finished.merge(record.key(), event.getAtUnixMs(), Math::min);
            }
          } catch (InvalidProtocolBufferException e) {
            // Garbage the suite itself wrote to the topic.
          }
        }
      }
    }
    return finished;
  }

  Path logOf(String name) {
    return cluster.log(name);
  }

  @Override
  public void close() {
    rawProducer.close(Duration.ofSeconds(5));
    try {
      cluster.close();
    } finally {
      try {
        synchronized (this) {
          redis.close();
        }
      } finally {
        broker.close();
      }
    }
  }
}
