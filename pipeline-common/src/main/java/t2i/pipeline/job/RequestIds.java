package t2i.pipeline.job;

import java.util.List;
import java.util.Optional;
import redis.clients.jedis.UnifiedJedis;

/**
 * Client-chosen request ids, per tenant, each standing for the one job it created. The claim is
 * written together with the job's record ({@link JobStore#create(t2i.pipeline.v1.JobSpec,
 * Optional)}), so a retry always finds the job; this class reads claims and gives up stale ones.
 * Thread-safe; does not own the Redis client.
 */
public final class RequestIds {

  private static final String RELEASE_SCRIPT =
      """
      if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
      return 0
      """;

  private final UnifiedJedis redis;

  public RequestIds(UnifiedJedis redis) {
    this.redis = redis;
  }

  /** The key that claims {@code requestId} for a tenant. */
  public static String key(String tenant, String requestId) {
    return RedisKeys.requestId(tenant, requestId);
  }

  /** The job that holds the request id, if any. */
  public Optional<String> holder(String tenant, String requestId) {
    return Optional.ofNullable(redis.get(key(tenant, requestId)));
  }

  /** Gives up {@code jobId}'s claim, if it still holds it, so that a retry starts afresh. */
  public void release(String tenant, String requestId, String jobId) {
    redis.eval(RELEASE_SCRIPT, List.of(key(tenant, requestId)), List.of(jobId));
  }
}
