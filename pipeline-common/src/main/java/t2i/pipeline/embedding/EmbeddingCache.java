package t2i.encoder;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.SetParams;
import t2i.pipeline.tensor.FloatTensor;

/**
 * Prompt embeddings in Redis, keyed by model and token ids (see {@code RedisKeys.embedding}), so a
 * prompt seen before is not encoded again and the diffusion workers read it by key. Entries expire
 * {@code retention} after they were last used. Thread-safe; does not own the Redis client.
 */
final class EmbeddingCache {

  private final UnifiedJedis redis;
  private final Duration retention;

  EmbeddingCache(UnifiedJedis redis, Duration retention) {
    this.redis = redis;
    this.retention = retention;
  }

  /** True if the key holds an embedding; renews its time to live so it outlives the job. */
  boolean touch(String key) {
    return redis.pexpire(key.getBytes(StandardCharsets.UTF_8), retention.toMillis()) == 1;
  }

  void put(String key, FloatTensor embedding) {
    redis.set(
        key.getBytes(StandardCharsets.UTF_8),
        embedding.toBytes(),
        new SetParams().px(retention.toMillis()));
  }
}
