package t2i.gateway;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import redis.clients.jedis.UnifiedJedis;
import t2i.pipeline.job.RedisKeys;

/**
 * Client-chosen request ids, per tenant, each standing for the one job it created: the first
 * request claims the id for its job (Redis {@code SET NX}), and a retry finds that job instead of
 * creating another. A claim lives as long as job records do ({@code t2i.redis.job-retention}).
 * Thread-safe; does not own the Redis client.
 */
final class RequestIds {

  /** Returns the job id already holding the request id, or claims it and returns nil. */
  private static final String CLAIM_SCRIPT =
      """
      local holder = redis.call('GET', KEYS[1])
      if holder then return holder end
      redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
      return false
      """;

  private static final String RELEASE_SCRIPT =
      """
      if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
      return 0
      """;

  private final UnifiedJedis redis;
  private final Duration retention;

  RequestIds(UnifiedJedis redis, Duration retention) {
    this.redis = redis;
    this.retention = retention;
  }

  /**
   * Claims {@code requestId} for {@code jobId}.
   *
   * @return empty if the claim is now {@code jobId}'s; otherwise the job that holds it
   */
  Optional<String> claim(String tenant, String requestId, String jobId) {
    Object holder =
        redis.eval(
            CLAIM_SCRIPT,
            List.of(RedisKeys.requestId(tenant, requestId)),
            List.of(jobId, Long.toString(retention.toMillis())));
    return Optional.ofNullable((String) holder);
  }

  /** How long ago the request id was claimed; empty if it is not claimed. */
  Optional<Duration> claimAge(String tenant, String requestId) {
    long ttl = redis.pttl(RedisKeys.requestId(tenant, requestId));
    return ttl < 0 ? Optional.empty() : Optional.of(retention.minusMillis(ttl));
  }

  /** Gives up {@code jobId}'s claim, if it still holds it, so that a retry starts afresh. */
  void release(String tenant, String requestId, String jobId) {
    redis.eval(RELEASE_SCRIPT, List.of(RedisKeys.requestId(tenant, requestId)), List.of(jobId));
  }
}
