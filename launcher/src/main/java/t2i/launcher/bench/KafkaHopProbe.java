package t2i.launcher.bench;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import t2i.pipeline.kafka.KafkaClients;
import t2i.pipeline.kafka.KafkaEndpoint;

/**
 * The floor under each hop of a job: a record produced by the stages' own producer ({@link
 * KafkaClients#producer}: acks=all, idempotent, no linger) and fetched by a consumer already
 * waiting on its partition, at a steady rate, with nothing else done. A job's hop between two
 * stages costs at least this; what a hop costs beyond it is t2i's own. Measured on a topic of its
 * own, deleted afterwards.
 */
public final class KafkaHopProbe {

  private static final int WARM_UP_RECORDS = 20_000;

  private KafkaHopProbe() {}

  /**
   * Sends {@code perSecond} records a second for {@code duration} and returns the time from each
   * send to its consumer receiving it.
   *
   * @throws TimeoutException if the broker does not answer or the records do not all arrive
   */
  public static Histogram measure(String bootstrapServers, double perSecond, Duration duration)
      throws InterruptedException, ExecutionException, TimeoutException {
    if (!(perSecond > 0) || duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(
          "give the probe a rate above 0 and a duration above 0, not "
              + perSecond
              + "/s for "
              + duration);
    }
    long records = Math.max(1, Math.round(perSecond * duration.toNanos() / 1e9));
    String topic = "t2i.bench.kafka-hop-" + UUID.randomUUID();
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      admin
          .createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty())))
          .all()
          .get(30, TimeUnit.SECONDS);
      try {
        return sendAndReceive(bootstrapServers, topic, perSecond, records);
      } finally {
        admin.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
      }
    }
  }

  private static Histogram sendAndReceive(
      String bootstrapServers, String topic, double perSecond, long records)
      throws InterruptedException, TimeoutException {
    TopicPartition partition = new TopicPartition(topic, 0);
    Histogram hops = LoadResult.histogram();
    AtomicLong sendFailures = new AtomicLong();
    ScheduledExecutorService sender =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("kafka-hop-probe").daemon().unstarted(r));
    try (KafkaProducer<String, byte[]> producer =
            KafkaClients.producer(KafkaEndpoint.of(bootstrapServers), "t2i-bench-kafka-hop");
        KafkaConsumer<byte[], byte[]> consumer =
            new KafkaConsumer<>(consumerSettings(bootstrapServers))) {
      consumer.assign(List.of(partition));
      consumer.seekToEnd(List.of(partition));
      // position() resolves the end now, so that the first record sent is not skipped.
      consumer.position(partition);
      warmUp(producer, consumer, topic);
      AtomicLong sent = new AtomicLong();
      long periodNanos = Math.round(1e9 / perSecond);
      ScheduledFuture<?> sending =
          sender.scheduleAtFixedRate(
              () -> {
                if (sent.incrementAndGet() > records) {
                  return;
                }
                byte[] sentAt = ByteBuffer.allocate(Long.BYTES).putLong(System.nanoTime()).array();
                // The callback counts failures: the future adds nothing.
                Future<RecordMetadata> unused =
                    producer.send(
                        new ProducerRecord<>(topic, sentAt),
                        (metadata, error) -> {
                          if (error != null) {
                            sendFailures.incrementAndGet();
                          }
                        });
              },
              0,
              periodNanos,
              TimeUnit.NANOSECONDS);
      long deadline = System.nanoTime() + periodNanos * records + TimeUnit.SECONDS.toNanos(30);
      long received = 0;
      while (received + sendFailures.get() < records) {
        if (sending.isDone()) {
          // A periodic task's future completes only when the task threw: sending stopped.
          throw new IllegalStateException("the probe stopped sending records", failure(sending));
        }
        if (System.nanoTime() > deadline) {
          throw new TimeoutException(
              "only "
                  + received
                  + " of "
                  + records
                  + " probe records came back from Kafka ("
                  + sendFailures.get()
                  + " sends failed)");
        }
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          long nanos = System.nanoTime() - ByteBuffer.wrap(record.value()).getLong();
          hops.recordValue(LoadResult.clamp(TimeUnit.NANOSECONDS.toMicros(nanos)));
          received++;
        }
      }
    } finally {
      sender.shutdownNow();
      sender.awaitTermination(5, TimeUnit.SECONDS);
    }
    if (sendFailures.get() > 0) {
      throw new IllegalStateException(
          sendFailures.get() + " of " + records + " probe records could not be sent to Kafka");
    }
    return hops;
  }

  private static Throwable failure(Future<?> done) throws InterruptedException {
    try {
      done.get();
      return new IllegalStateException("it ended without an error");
    } catch (ExecutionException e) {
      return e.getCause() == null ? e : e.getCause();
    } catch (CancellationException e) {
      return e;
    }
  }

  /**
   * Sends and receives a burst of untimed records first: the stages' clients have long been
   * compiled by the JIT, and a fresh client's first records would overstate the floor.
   */
  private static void warmUp(
      KafkaProducer<String, byte[]> producer, KafkaConsumer<byte[], byte[]> consumer, String topic)
      throws TimeoutException {
    byte[] value = new byte[Long.BYTES];
    for (int i = 0; i < WARM_UP_RECORDS; i++) {
      // flush() below waits for them all; a failed one shows as a record that never arrives.
      Future<RecordMetadata> unused = producer.send(new ProducerRecord<>(topic, value));
    }
    producer.flush();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    int received = 0;
    while (received < WARM_UP_RECORDS) {
      if (System.nanoTime() > deadline) {
        throw new TimeoutException(
            "only " + received + " of " + WARM_UP_RECORDS + " warm-up records came back");
      }
      received += consumer.poll(Duration.ofMillis(100)).count();
    }
  }

  /** A consumer of its own partition, with no group: nothing to join or commit. */
  private static Properties consumerSettings(String bootstrapServers) {
    Properties c = new Properties();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return c;
  }

  /** The probe's line of the report. */
  public static String render(Histogram hops, double perSecond) {
    return String.format(
        Locale.ROOT,
        "bare Kafka hop, %d records at %.1f/s before the load (the floor under each hop):%n%s",
        hops.getTotalCount(),
        perSecond,
        LoadResult.row("  produce->consume", hops));
  }
}
