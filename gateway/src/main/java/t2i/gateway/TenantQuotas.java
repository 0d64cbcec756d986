package t2i.gateway;

import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.resps.Tuple;
import t2i.pipeline.job.JobStates;
import t2i.pipeline.job.JobStore;
import t2i.pipeline.job.RedisKeys;
import t2i.v1.JobState;

/**
 * Per-tenant limits, kept in Redis so that they hold across every gateway replica: jobs in flight
 * (queued or running) and submissions per fixed window. Each check-and-count is one Lua script on
 * one key, so two replicas can never both take the last slot, and each key lives in one slot of a
 * Redis Cluster.
 *
 * <p>A tenant's jobs in flight are a sorted set of job ids scored by deadline. A job leaves it when
 * a check finds it full: finished jobs and jobs past their deadline (stages end them EXPIRED) are
 * pruned then, so the set needs no cleanup of its own. A job whose record is missing stays until
 * its deadline: it may be another replica's reservation whose record is being written.
 *
 * <p>Thread-safe; does not own the Redis client or the store.
 */
final class TenantQuotas {

  /** Refusal codes of the scripts. */
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

  private final UnifiedJedis redis;
  private final JobStore store;
  private final int maxInFlight;
  private final int maxSubmissions;
  private final Duration window;
  private final Duration jobTimeout;
  private final Duration inFlightRetryAfter;
  private final InstantSource clock;

  TenantQuotas(
      UnifiedJedis redis,
      JobStore store,
      GatewayConfig.Quota quota,
      Duration jobTimeout,
      InstantSource clock) {
    if (quota.maxJobsInFlight() < 1 || quota.maxSubmissions() < 1) {
      throw new IllegalArgumentException(
          "t2i.gateway.quota.max-jobs-in-flight and t2i.gateway.quota.max-submissions must be"
              + " positive");
    }
    if (quota.submissionWindow().toMillis() < 1) {
      throw new IllegalArgumentException(
          "t2i.gateway.quota.submission-window must be at least 1ms, was "
              + quota.submissionWindow());
    }
    this.redis = redis;
    this.store = store;
    this.maxInFlight = quota.maxJobsInFlight();
    this.maxSubmissions = quota.maxSubmissions();
    this.window = quota.submissionWindow();
    this.jobTimeout = jobTimeout;
    this.inFlightRetryAfter = quota.retryAfter();
    this.clock = clock;
  }

  /**
   * Counts a new job against the tenant's jobs in flight.
   *
   * @param deadlineMillis the job's deadline; past it the job no longer counts
   * @throws io.grpc.StatusRuntimeException RESOURCE_EXHAUSTED if the tenant is at its limit
   */
  void reserveInFlight(String tenant, String jobId, long deadlineMillis) {
    if (tryReserve(tenant, jobId, deadlineMillis)) {
      return;
    }
    prune(tenant);
    if (!tryReserve(tenant, jobId, deadlineMillis)) {
      throw Refusals.resourceExhausted(
          "tenant "
              + CallScope.display(tenant)
              + " already has "
              + maxInFlight
              + " jobs queued or running, the most allowed"
              + " (t2i.gateway.quota.max-jobs-in-flight); wait for one to finish or cancel one",
          inFlightRetryAfter);
    }
  }

  /** Gives back a reservation whose job was never created. */
  void releaseInFlight(String tenant, String jobId) {
    redis.zrem(RedisKeys.tenantJobs(tenant), jobId);
  }

  /**
   * Counts a submission against the tenant's submissions in the current window.
   *
   * @throws io.grpc.StatusRuntimeException RESOURCE_EXHAUSTED, with the time until the window ends,
   *     if the tenant has used up the window
   */
  void countSubmission(String tenant) {
    long now = clock.millis();
    long windowMillis = window.toMillis();
    long index = Math.floorDiv(now, windowMillis);
    long untilWindowEnds = (index + 1) * windowMillis - now;
    List<?> result =
        (List<?>)
            redis.eval(
                COUNT_SCRIPT,
                List.of(RedisKeys.tenantSubmissions(tenant, index)),
                List.of(Integer.toString(maxSubmissions), Long.toString(untilWindowEnds)));
    if ((Long) result.get(0) == REFUSED) {
      long ttl = (Long) result.get(1);
      throw Refusals.resourceExhausted(
          "tenant "
              + CallScope.display(tenant)
              + " has submitted "
              + maxSubmissions
              + " jobs in the current "
              + window
              + " window, the most allowed (t2i.gateway.quota.max-submissions per"
              + " t2i.gateway.quota.submission-window); retry when the window ends",
          Duration.ofMillis(ttl > 0 ? ttl : untilWindowEnds));
    }
  }

  private boolean tryReserve(String tenant, String jobId, long deadlineMillis) {
    Object reserved =
        redis.eval(
            RESERVE_SCRIPT,
            List.of(RedisKeys.tenantJobs(tenant)),
            List.of(
                Integer.toString(maxInFlight),
                Long.toString(deadlineMillis),
                jobId,
                // Every member's deadline is at most one job timeout away from its reservation.
                Long.toString(jobTimeout.toMillis())));
    return (Long) reserved != REFUSED;
  }

  /** Drops the tenant's jobs that have finished or are past their deadline. */
  private void prune(String tenant) {
    String key = RedisKeys.tenantJobs(tenant);
    List<Tuple> members = redis.zrangeWithScores(key, 0, -1);
    if (members.isEmpty()) {
      return;
    }
    long now = clock.millis();
    Map<String, JobState> states = store.states(members.stream().map(Tuple::getElement).toList());
    String[] gone =
        members.stream()
            .filter(
                m -> {
                  JobState state = states.get(m.getElement());
                  boolean pastDeadline = m.getScore() <= now;
                  return pastDeadline || (state != null && JobStates.isTerminal(state));
                })
            .map(Tuple::getElement)
            .toArray(String[]::new);
    if (gone.length > 0) {
      redis.zrem(key, gone);
    }
  }
}
