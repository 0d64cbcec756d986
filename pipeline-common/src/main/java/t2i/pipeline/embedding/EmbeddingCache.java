package t2i.pipeline.embedding;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.SetParams;
import t2i.pipeline.tensor.FloatTensor;

/**
 * Prompt embeddings in Redis, keyed by model and token ids (see {@code RedisKeys.embedding}): the
 * encoder workers write them, so a prompt seen before is not encoded again, and the diffusion
 * workers read them by key. Entries expire {@code retention} after they were last used.
 * Thread-safe; does not own the Redis client.
 */
public final class EmbeddingCache {

  private final UnifiedJedis redis;
  private final Duration retention;

  public EmbeddingCache(UnifiedJedis redis, Duration retention) {
    this.redis = redis;
    this.retention = retention;
  }

  /** True if the key holds an embedding; renews its time to live so it outlives the job. */
  public boolean touch(String key) {
    return redis.pexpire(key.getBytes(StandardCharsets.UTF_8), retention.toMillis()) == 1;
  }

  public void put(String key, FloatTensor embedding) {
    redis.set(
        key.getBytes(StandardCharsets.UTF_8),
        embedding.toBytes(),
        new SetParams().px(retention.toMillis()));
  }

  /** The embedding under {@code key}, of the given shape; empty if Redis no longer has it. */
  public Optional<FloatTensor> get(String key, int[] shape) {
    byte[] bytes = redis.get(key.getBytes(StandardCharsets.UTF_8));
    return bytes == null ? Optional.empty() : Optional.of(FloatTensor.fromBytes(shape, bytes));
  }
}
