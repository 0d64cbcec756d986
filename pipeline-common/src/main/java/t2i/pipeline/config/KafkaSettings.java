package t2i.pipeline.config;

import io.smallrye.config.WithDefault;
import java.util.Map;

/** How a service reaches Kafka. A configuration group: services nest it under {@code t2i.kafka}. */
public interface KafkaSettings {

  /** Comma-separated {@code host:port} list of the cluster's brokers. */
  @WithDefault("localhost:9092")
  String bootstrapServers();

  /**
   * Extra Kafka client properties applied to every producer, consumer and admin client of the
   * service, e.g. {@code t2i.kafka.client."security.protocol"=SASL_SSL}. They override the
   * service's defaults.
   */
  Map<String, String> client();

  /** Partitions of each topic the service creates when it is missing. */
  @WithDefault("4")
  int topicPartitions();

  /** Replication factor of each topic the service creates when it is missing. */
  @WithDefault("1")
  short topicReplicationFactor();

  /** Topic names. */
  TopicNames topics();
}
