package t2i.local;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Tells a test when a stage is done with a record, without guessing at timing: a stage commits a
 * record's offset only after every output of it is acknowledged, so once its group's committed
 * offset has passed the record, whatever the stage made of it is in its output topics.
 */
public final class ConsumerGroups {

  private static final long POLL_MILLIS = 50;

  private ConsumerGroups() {}

  /** Waits until consumer group {@code group} has committed past {@code record}. */
  public static void awaitCommittedPast(
      String bootstrapServers, String group, RecordMetadata record, Duration timeout)
      throws InterruptedException, TimeoutException {
    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Admin admin = Admin.create(props)) {
      while (true) {
        Map<TopicPartition, OffsetAndMetadata> committed =
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        OffsetAndMetadata offset = committed.get(partition);
        if (offset != null && offset.offset() > record.offset()) {
          return;
        }
        if (System.nanoTime() - deadline > 0) {
          throw new TimeoutException(
              "group " + group + " did not commit past " + partition + "@" + record.offset());
        }
        TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException("could not read the offsets of group " + group, e);
    }
  }
}
