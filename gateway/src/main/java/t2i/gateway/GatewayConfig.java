package t2i.gateway;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import t2i.pipeline.config.KafkaSettings;
import t2i.pipeline.config.ModelSettings;
import t2i.pipeline.config.RedisSettings;

/** Configuration of the gateway, under {@code t2i.*}. */
@ConfigMapping(prefix = "t2i")
public interface GatewayConfig {

  KafkaSettings kafka();

  RedisSettings redis();

  ModelSettings models();

  Gateway gateway();

  interface Gateway {
    /** Largest accepted image width in pixels. */
    @WithDefault("2048")
    int maxWidth();

    /** Largest accepted image height in pixels. */
    @WithDefault("2048")
    int maxHeight();

    /** Most denoising steps a request may ask for. */
    @WithDefault("150")
    int maxSteps();

    /** Most images one request may ask for. */
    @WithDefault("8")
    int maxCount();

    /** Longest accepted prompt or negative prompt, in characters. */
    @WithDefault("20000")
    int maxPromptChars();

    /** Steps when a request leaves them unset. */
    @WithDefault("25")
    int defaultSteps();

    /** Guidance scale when a request leaves it unset. */
    @WithDefault("7.5")
    float defaultGuidanceScale();

    /** How long a job may take from submission before it is dropped as EXPIRED. */
    @WithDefault("PT10M")
    Duration jobTimeout();

    /** Most Generate streams this replica serves at once. */
    @WithDefault("1000")
    int maxStreams();
  }
}
