package t2i.pipeline.kafka;

import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import t2i.pipeline.config.KafkaSettings;

/**
 * Where the cluster is and the extra client properties (security, tuning) every client of a service
 * gets.
 */
public record KafkaEndpoint(String bootstrapServers, Map<String, String> clientProperties) {

  public KafkaEndpoint {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    if (bootstrapServers.isBlank()) {
      throw new IllegalArgumentException(
          "t2i.kafka.bootstrap-servers is empty: set it to the brokers' host:port list");
    }
    clientProperties = Map.copyOf(clientProperties);
  }

  public static KafkaEndpoint of(String bootstrapServers) {
    return new KafkaEndpoint(bootstrapServers, Map.of());
  }

  public static KafkaEndpoint from(KafkaSettings settings) {
    return new KafkaEndpoint(settings.bootstrapServers(), settings.client());
  }

  Properties baseProperties() {
    Properties props = new Properties();
    props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return props;
  }

  /** Applies the user's properties last, so they win over the service's defaults. */
  Properties withOverrides(Properties props) {
    props.putAll(clientProperties);
    return props;
  }
}
