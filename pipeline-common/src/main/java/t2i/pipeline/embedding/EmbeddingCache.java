package t2i.pipeline.embedding;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
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

  /**
   * For each key, in order, whether it holds an embedding; renews the time to live of those that
   * do, so they outlive the job. One round trip for all of them (a job has a prompt and a negative
   * prompt).
   */
  public List<Boolean> touchAll(List<String> keys) {
    List<Response<Long>> answers = new ArrayList<>(keys.size());
    try (AbstractPipeline pipeline = redis.pipelined()) {
      for (String key : keys) {
        answers.add(pipeline.pexpire(bytes(key), retention.toMillis()));
      }
    }
    List<Boolean> held = new ArrayList<>(keys.size());
    for (Response<Long> answer : answers) {
      held.add(answer.get() == 1);
    }
    return held;
  }

  public void put(String key, FloatTensor embedding) {
    redis.set(bytes(key), embedding.toBytes(), new SetParams().px(retention.toMillis()));
  }

  /**
   * The embeddings under {@code keys}, in order, each of the shape at the same index; empty where
   * Redis no longer has one. One round trip for all of them.
   */
  public List<Optional<FloatTensor>> getAll(List<String> keys, List<int[]> shapes) {
    if (keys.size() != shapes.size()) {
      throw new IllegalArgumentException(
          keys.size() + " keys but " + shapes.size() + " shapes: give one shape per key");
    }
    List<byte[]> values =
        redis.mget(keys.stream().map(EmbeddingCache::bytes).toArray(byte[][]::new));
    List<Optional<FloatTensor>> found = new ArrayList<>(keys.size());
    for (int i = 0; i < keys.size(); i++) {
      byte[] value = values.get(i);
      found.add(
          value == null
              ? Optional.empty()
              : Optional.of(FloatTensor.fromBytes(shapes.get(i), value)));
    }
    return found;
  }

  private static byte[] bytes(String key) {
    return key.getBytes(StandardCharsets.UTF_8);
  }
}
