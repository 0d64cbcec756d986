package t2i.pipeline.config;

import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.hibernate.validator.constraints.time.DurationMin;

/** How a service reaches Kafka. A configuration group: services nest it under {@code t2i.kafka}. */
public interface KafkaSettings {

  /** Comma-separated {@code host:port} list of the cluster's brokers. */
  @WithDefault("localhost:9092")
  @NotBlank
  String bootstrapServers();

  /**
   * Extra Kafka client properties applied to every producer, consumer and admin client of the
   * service, e.g. {@code t2i.kafka.client."security.protocol"=SASL_SSL}. They override the
   * service's defaults.
   */
  Map<String, String> client();

  /** Partitions of each topic the service creates when it is missing. */
  @WithDefault("4")
  @Min(1)
  int topicPartitions();

  /** Replication factor of each topic the service creates when it is missing. */
  @WithDefault("1")
  @Min(1)
  short topicReplicationFactor();

  /**
   * This process's stable name in its consumer group (static membership: a restarted process takes
   * its partitions back without a rebalance); each consumer thread appends its index. Unset, it is
   * {@code HOSTNAME-PID}, which is stable across container restarts in a pod and unique among
   * processes on one host. Two processes must never share one.
   */
  Optional<String> groupInstanceId();

  /**
   * How long the group waits for a consumer that stopped answering (a crashed process) before its
   * partitions go to the others; a process restarted within it takes them back itself.
   */
  @WithDefault("PT20S")
  @DurationMin(seconds = 1, message = "must be at least 1 second, was ${validatedValue}")
  Duration sessionTimeout();

  /**
   * The least time between two offset commits of a stage's consumer. Each commit is a write to the
   * broker's offsets log; committing at most this often turns one write per record into one per
   * interval under load. After a crash, at most this much more finished work is delivered again,
   * and the stage's gate skips it. Zero commits after every poll that finished a record.
   */
  @WithDefault("PT0.2S")
  @DurationMin(millis = 0, message = "must not be negative, was ${validatedValue}")
  Duration commitInterval();

  /** Topic names. */
  TopicNames topics();
}
