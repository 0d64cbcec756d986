package t2i.pipeline.config;

import io.smallrye.config.WithDefault;
import java.time.Duration;

/** How a service reaches Redis. A configuration group: services nest it under {@code t2i.redis}. */
public interface RedisSettings {

  /** {@code redis://[user:password@]host:port[/db]}, or {@code rediss://} for TLS. */
  @WithDefault("redis://localhost:6379")
  String url();

  /** How long a job's record and images stay retrievable after its last change. */
  @WithDefault("PT1H")
  Duration jobRetention();

  /** How long a cached prompt embedding stays in Redis after it was last written. */
  @WithDefault("P1D")
  Duration embeddingRetention();
}
