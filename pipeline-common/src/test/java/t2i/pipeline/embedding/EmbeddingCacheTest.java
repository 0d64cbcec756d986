package t2i.pipeline.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.UnifiedJedis;
import t2i.local.SharedLocalStack;
import t2i.pipeline.stage.StageConnections;
import t2i.pipeline.tensor.FloatTensor;

/** Prompt embeddings in Redis: a job's prompts are looked up and read in one round trip each. */
class EmbeddingCacheTest {

  private static final Duration RETENTION = Duration.ofMinutes(5);
  private static final UnifiedJedis redis =
      StageConnections.openRedis(SharedLocalStack.get().redisUrl());
  private final EmbeddingCache cache = new EmbeddingCache(redis, RETENTION);

  @AfterAll
  static void disconnect() {
    redis.close();
  }

  private static String newKey() {
    return "emb:test:" + UUID.randomUUID();
  }

  private static FloatTensor tensor(float first) {
    return new FloatTensor(new int[] {2, 3}, new float[] {first, 2, 3, 4, 5, 6});
  }

  @Test
  void touchAll_tellsForEachKeyInOrderWhetherItIsCached() {
    String cached = newKey();
    String missing = newKey();
    cache.put(cached, tensor(1));

    assertThat(cache.touchAll(List.of(missing, cached, missing)))
        .containsExactly(false, true, false);
  }

  @Test
  void touchAll_renewsTheLeaseOfACachedEmbedding_andCreatesNoKeyForAMissingOne() {
    String cached = newKey();
    String missing = newKey();
    cache.put(cached, tensor(1));
    redis.pexpire(cached, 1_000);

    cache.touchAll(List.of(cached, missing));

    assertThat(redis.pttl(cached)).isGreaterThan(1_000).isLessThanOrEqualTo(RETENTION.toMillis());
    assertThat(redis.exists(missing)).isFalse();
  }

  @Test
  void getAll_readsEachEmbeddingInItsShape_emptyWhereRedisHasNone() {
    String first = newKey();
    String second = newKey();
    cache.put(first, tensor(1));
    cache.put(second, tensor(7));

    List<Optional<FloatTensor>> found =
        cache.getAll(
            List.of(second, newKey(), first),
            List.of(new int[] {3, 2}, new int[] {2, 3}, new int[] {2, 3}));

    assertThat(found.get(0).orElseThrow().shape()).containsExactly(3, 2);
    assertThat(found.get(0).orElseThrow().data()).containsExactly(7, 2, 3, 4, 5, 6);
    assertThat(found.get(1)).isEmpty();
    assertThat(found.get(2).orElseThrow().data()).containsExactly(1, 2, 3, 4, 5, 6);
  }

  @Test
  void getAll_withAShapeMissingForAKey_isRefused() {
    assertThatThrownBy(() -> cache.getAll(List.of(newKey(), newKey()), List.of(new int[] {1})))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("one shape per key");
  }
}
