package t2i.encoder;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Min;
import java.time.Duration;
import t2i.pipeline.config.EngineConfig;
import t2i.pipeline.config.KafkaSettings;
import t2i.pipeline.config.ModelSettings;
import t2i.pipeline.config.RedisSettings;

/** Configuration of the encoder worker, under {@code t2i.*}. */
@ConfigMapping(prefix = "t2i")
public interface EncoderWorkerConfig {

  KafkaSettings kafka();

  RedisSettings redis();

  ModelSettings models();

  Encoder encoder();

  EngineConfig engine();

  interface Encoder {
    /** Kafka consumers (threads) in this process. */
    @WithDefault("1")
    @Min(1)
    int consumers();

    /** Jobs each consumer works on at once. */
    @WithDefault("16")
    @Min(1)
    int maxInFlight();

    /** Threads running the text encoder, each with its own predictor. */
    @WithDefault("1")
    @Min(1)
    int threads();

    /**
     * Most prompt-embedding keys whose lease in Redis this process remembers renewing; a job whose
     * prompts it remembers is passed on without asking Redis. 0 asks Redis for every job.
     */
    @WithDefault("10000")
    @Min(0)
    int cacheMemoKeys();

    /**
     * How long a remembered renewal is trusted: a cached embedding in use has its time to live in
     * Redis renewed at least this often. Shorter than {@code t2i.redis.embedding-retention}.
     */
    @WithDefault("PT1M")
    Duration cacheRenewalInterval();
  }
}
