package t2i.pipeline.job;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.jspecify.annotations.Nullable;

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

  /**
   * Sorted set of jobs scored by their deadline, so that a job nobody ends (its gateway stopped
   * before publishing it, say) is ended once its deadline has passed.
   */
  public static String deadlines() {
    return "t2i:deadlines";
  }

  /**
   * Hash of the highest offset each stage has taken up from each partition of its input topic
   * ({@code topic|partition}): the heads of the queues jobs wait in.
   */
  public static String queueHeads() {
    return "t2i:queue-heads";
  }

  /** PNG bytes of one image of a job. */
  public static String png(String jobId, int index) {
    return "t2i:job:{" + jobId + "}:png:" + index;
  }

  /**
   * The job that a tenant's client-chosen request id stands for (idempotent submission). The
   * request id may hold any characters; it comes last so that it cannot change the key's prefix.
   */
  public static String requestId(String tenant, String requestId) {
    return "t2i:tenant:" + tenant + ":request:" + requestId;
  }

  /** Sorted set of a tenant's jobs that may still be in flight, scored by their deadline. */
  public static String tenantJobs(String tenant) {
    return "t2i:tenant:" + tenant + ":jobs";
  }

  /**
   * Sorted set of a tenant's jobs scored by their acceptance (ms): the history ListJobs pages
   * through, newest first. Entries older than the job retention are dropped as new jobs come.
   */
  public static String tenantHistory(String tenant) {
    return "t2i:tenant:" + tenant + ":history";
  }

  /** Counter of a tenant's submissions in one fixed window, numbered from the epoch. */
  public static String tenantSubmissions(String tenant, long window) {
    return "t2i:tenant:" + tenant + ":submissions:" + window;
  }

  /**
   * Text embedding of one prompt for one model: derived from the model name and the exact token ids
   * (chunked and padded as the encoder saw them), so equal prompts share one entry.
   */
  public static String embedding(String model, int[] tokenIds) {
    return embedding(model, tokenIds, null);
  }

  /**
   * Text embedding of one weighted prompt: as {@link #embedding(String, int[])}, covering also the
   * attention weight of each position; {@code null} weights (all 1) give the unweighted key.
   */
  public static String embedding(String model, int[] tokenIds, float @Nullable [] weights) {
    ByteBuffer ids =
        ByteBuffer.allocate(tokenIds.length * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    ids.asIntBuffer().put(tokenIds);
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
    sha.update(model.getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0);
    sha.update(ids.array());
    if (weights != null) {
      ByteBuffer w =
          ByteBuffer.allocate(weights.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
      w.asFloatBuffer().put(weights);
      sha.update((byte) 1);
      sha.update(w.array());
    }
    return "t2i:emb:" + model + ":" + HexFormat.of().formatHex(sha.digest());
  }
}
