package t2i.tokenizer;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Min;
import t2i.pipeline.config.KafkaSettings;
import t2i.pipeline.config.ModelSettings;
import t2i.pipeline.config.RedisSettings;

/** Configuration of the tokenizer service, under {@code t2i.*}. */
@ConfigMapping(prefix = "t2i")
public interface TokenizerServiceConfig {

  KafkaSettings kafka();

  RedisSettings redis();

  ModelSettings models();

  Tokenizer tokenizer();

  interface Tokenizer {
    /** Kafka consumers (threads) in this process; more than the topic's partitions idle. */
    @WithDefault("1")
    @Min(1)
    int consumers();

    /** Jobs each consumer works on at once. */
    @WithDefault("32")
    @Min(1)
    int maxInFlight();
  }
}
