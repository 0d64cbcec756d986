package t2i.pipeline.job;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Names of everything t2i keeps in Redis. A job's keys share the hash tag {@code {jobId}} so that
 * they live in one slot of a Redis Cluster.
 */
public final class RedisKeys {

  private RedisKeys() {}

  /** Hash with the job's record. */
  public static String job(String jobId) {
    return "t2i:job:{" + jobId + "}";
  }

  /** PNG bytes of one image of a job. */
  public static String png(String jobId, int index) {
    return "t2i:job:{" + jobId + "}:png:" + index;
  }

  /**
   * Text embedding of one prompt for one model: derived from the model name and the exact token ids
   * (chunked and padded as the encoder saw them), so equal prompts share one entry.
   */
  public static String embedding(String model, int[] tokenIds) {
    ByteBuffer ids =
        ByteBuffer.allocate(tokenIds.length * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    ids.asIntBuffer().put(tokenIds);
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(model.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(ids.array());
      return "t2i:emb:" + model + ":" + HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
