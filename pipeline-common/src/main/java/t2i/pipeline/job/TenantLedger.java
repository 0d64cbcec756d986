package t2i.pipeline.job;

import java.util.Collection;
import java.util.List;
import java.util.OptionalLong;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.resps.Tuple;

/**
 * What each tenant has in flight and has submitted lately, in Redis so that every gateway replica
 * sees the same counts. Each check-and-count is one Lua script on one key, so two replicas can
 * never both take the last slot, and each key lives in one slot of a Redis Cluster. The limits
 * themselves are the caller's. Thread-safe; does not own the Redis client.
 */
public final class TenantLedger {

  /** Refusal code of the scripts. */
  private static final long REFUSED = 0;

  private static final String RESERVE_SCRIPT =
      """
      if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
      redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
      redis.call('PEXPIRE', KEYS[1], ARGV[4])
      return 1
      """;

  /** Returns {1, 0} if counted, {0, milliseconds until the window ends} if full. */
  private static final String COUNT_SCRIPT =
      """
      local n = tonumber(redis.call('GET', KEYS[1]) or '0')
      if n >= tonumber(ARGV[1]) then
        return {0, redis.call('PTTL', KEYS[1])}
      end
      redis.call('INCR', KEYS[1])
      if n == 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
      return {1, 0}
      """;

  /** A job the tenant has in flight, with its deadline. */
  public record InFlight(String jobId, long deadlineMillis) {}

  private final UnifiedJedis redis;

  public TenantLedger(UnifiedJedis redis) {
    this.redis = redis;
  }

  /**
   * Adds a job to the tenant's jobs in flight unless it already has {@code max}.
   *
   * @param keepMillis how long the set outlives its newest member
   * @return false if the tenant is at {@code max}
   */
  public boolean reserve(
      String tenant, String jobId, long deadlineMillis, int max, long keepMillis) {
    Object reserved =
        redis.eval(
            RESERVE_SCRIPT,
            List.of(RedisKeys.tenantJobs(tenant)),
            List.of(
                Integer.toString(max),
                Long.toString(deadlineMillis),
                jobId,
                Long.toString(keepMillis)));
    return (Long) reserved != REFUSED;
  }

  /** The tenant's jobs in flight. */
  public List<InFlight> inFlight(String tenant) {
    List<Tuple> members = redis.zrangeWithScores(RedisKeys.tenantJobs(tenant), 0, -1);
    return members.stream().map(m -> new InFlight(m.getElement(), (long) m.getScore())).toList();
  }

  /** How many jobs the tenant has in flight. */
  public long inFlightCount(String tenant) {
    return redis.zcard(RedisKeys.tenantJobs(tenant));
  }

  /** Removes jobs from the tenant's jobs in flight. */
  public void release(String tenant, Collection<String> jobIds) {
    if (!jobIds.isEmpty()) {
      redis.zrem(RedisKeys.tenantJobs(tenant), jobIds.toArray(String[]::new));
    }
  }

  /**
   * Counts a submission in the tenant's window {@code windowIndex} unless it already has {@code
   * max}.
   *
   * @param untilWindowEndsMillis the time left in the window; its count expires then
   * @return empty if counted, else the milliseconds until the window ends
   */
  public OptionalLong countSubmission(
      String tenant, long windowIndex, int max, long untilWindowEndsMillis) {
    List<?> result =
        (List<?>)
            redis.eval(
                COUNT_SCRIPT,
                List.of(RedisKeys.tenantSubmissions(tenant, windowIndex)),
                List.of(Integer.toString(max), Long.toString(untilWindowEndsMillis)));
    if ((Long) result.get(0) != REFUSED) {
      return OptionalLong.empty();
    }
    long ttl = (Long) result.get(1);
    return OptionalLong.of(ttl > 0 ? ttl : untilWindowEndsMillis);
  }
}
