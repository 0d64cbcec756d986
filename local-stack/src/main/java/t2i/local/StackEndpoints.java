package t2i.local;

import java.util.Map;
import java.util.Objects;

/**
 * Where a local stack's servers listen. An immutable value; plain strings, so it can be handed
 * across class loaders.
 *
 * @param kafkaBootstrapServers {@code host:port} of the Kafka broker
 * @param redisUrl {@code redis://host:port} of the Redis server
 */
public record StackEndpoints(String kafkaBootstrapServers, String redisUrl) {

  /** The configuration key from which the services read the Kafka bootstrap servers. */
  public static final String KAFKA_BOOTSTRAP_SERVERS_KEY = "t2i.kafka.bootstrap-servers";

  /** The configuration key from which the services read the Redis URL. */
  public static final String REDIS_URL_KEY = "t2i.redis.url";

  public StackEndpoints {
    Objects.requireNonNull(kafkaBootstrapServers, "kafkaBootstrapServers");
    Objects.requireNonNull(redisUrl, "redisUrl");
  }

  /** The service configuration that points a service at these servers. */
  public Map<String, String> serviceConfig() {
    return Map.of(KAFKA_BOOTSTRAP_SERVERS_KEY, kafkaBootstrapServers, REDIS_URL_KEY, redisUrl);
  }

  /** The inverse of {@link #serviceConfig()}. */
  static StackEndpoints fromServiceConfig(Map<String, String> config) {
    return new StackEndpoints(
        Objects.requireNonNull(config.get(KAFKA_BOOTSTRAP_SERVERS_KEY), "kafkaBootstrapServers"),
        Objects.requireNonNull(config.get(REDIS_URL_KEY), "redisUrl"));
  }
}
