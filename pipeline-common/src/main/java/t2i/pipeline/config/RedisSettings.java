package t2i.pipeline.config;

import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Pattern;
import java.time.Duration;
import org.hibernate.validator.constraints.time.DurationMin;

/** How a service reaches Redis. A configuration group: services nest it under {@code t2i.redis}. */
public interface RedisSettings {

  /** {@code redis://[user:password@]host:port[/db]}, or {@code rediss://} for TLS. */
  @WithDefault("redis://localhost:6379")
  @Pattern(
      regexp = "rediss?://\\S+",
      // The value is not repeated: it may hold a password.
      message = "must be a URL that starts with redis:// or rediss://, like redis://host:6379")
  String url();

  /** How long a job's record and images stay retrievable after its last change. */
  @WithDefault("PT1H")
  @DurationMin(seconds = 1, message = "must be at least 1 second, was ${validatedValue}")
  Duration jobRetention();

  /** How long a cached prompt embedding stays in Redis after it was last written. */
  @WithDefault("P1D")
  @DurationMin(seconds = 1, message = "must be at least 1 second, was ${validatedValue}")
  Duration embeddingRetention();
}
