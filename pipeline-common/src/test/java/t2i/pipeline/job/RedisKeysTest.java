package t2i.pipeline.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RedisKeysTest {

  @Test
  void embedding_sameModelAndIds_sameKey() {
    assertThat(RedisKeys.embedding("m", new int[] {1, 2, 3}))
        .isEqualTo(RedisKeys.embedding("m", new int[] {1, 2, 3}));
  }

  @Test
  void embedding_differsWithModelOrIds() {
    String key = RedisKeys.embedding("m", new int[] {1, 2, 3});

    assertThat(RedisKeys.embedding("n", new int[] {1, 2, 3})).isNotEqualTo(key);
    assertThat(RedisKeys.embedding("m", new int[] {1, 2, 4})).isNotEqualTo(key);
    assertThat(RedisKeys.embedding("m", new int[] {1, 2})).isNotEqualTo(key);
  }

  @Test
  void jobKeys_shareOneClusterHashTag() {
    assertThat(RedisKeys.job("abc")).contains("{abc}");
    assertThat(RedisKeys.png("abc", 2)).contains("{abc}").endsWith(":png:2");
  }

  @Test
  void embedding_weightsChangeTheKey_allOnesDoNot() {
    int[] ids = {1, 2, 3};

    assertThat(RedisKeys.embedding("m", ids, null)).isEqualTo(RedisKeys.embedding("m", ids));
    assertThat(RedisKeys.embedding("m", ids, new float[] {1f, 1.1f, 1f}))
        .isNotEqualTo(RedisKeys.embedding("m", ids))
        .isNotEqualTo(RedisKeys.embedding("m", ids, new float[] {1f, 1.2f, 1f}));
  }
}
