package t2i.pipeline.job;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.SetParams;
import t2i.pipeline.v1.ImageReady;
import t2i.pipeline.v1.JobSpec;
import t2i.v1.JobState;
import t2i.v1.StateTransition;

/**
 * The record of every job, kept in Redis so that any gateway replica can answer for any job.
 *
 * <p>A job's state only moves forward (QUEUED, TOKENIZING, ENCODING, DENOISING, then one terminal
 * state) and a terminal state is final: the checks run inside Redis, atomically, so a redelivered
 * message or a late writer can never move a job back or overwrite its outcome. Every write renews
 * the record's time to live ({@code retention}).
 *
 * <p>Thread-safe. Does not own the Redis client.
 */
public final class JobStore {

  /** Outcome of a state change. */
  public enum Change {
    /** The job moved to the new state. */
    APPLIED,
    /** The job is already in that state, later, or finished: nothing changed. */
    STALE,
    /** No such job (never created, or expired). */
    UNKNOWN
  }

  private static final byte[] TRANSITION_SCRIPT =
      """
      local cur = redis.call('HGET', KEYS[1], 'state')
      if not cur then return -1 end
      cur = tonumber(cur)
      local new = tonumber(ARGV[1])
      if cur >= 5 then return 0 end
      if new < 5 and new <= cur then return 0 end
      redis.call('HSET', KEYS[1], 'state', ARGV[1], 't:' .. ARGV[1], ARGV[2])
      if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'reason', ARGV[3]) end
      redis.call('PEXPIRE', KEYS[1], ARGV[4])
      return 1
      """
          .getBytes(StandardCharsets.UTF_8);

  private static final byte[] PROGRESS_SCRIPT =
      """
      if redis.call('HGET', KEYS[1], 'state') ~= '4' then return 0 end
      redis.call('HSET', KEYS[1], 'step', ARGV[1], 'total', ARGV[2])
      return 1
      """
          .getBytes(StandardCharsets.UTF_8);

  private static final byte[] CREATE_SCRIPT =
      """
      if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
      redis.call('HSET', KEYS[1], 'spec', ARGV[1], 'state', '1', 't:1', ARGV[2])
      redis.call('PEXPIRE', KEYS[1], ARGV[3])
      return 1
      """
          .getBytes(StandardCharsets.UTF_8);

  private final UnifiedJedis redis;
  private final Duration retention;
  private final InstantSource clock;

  public JobStore(UnifiedJedis redis, Duration retention, InstantSource clock) {
    if (retention.isNegative() || retention.isZero()) {
      throw new IllegalArgumentException(
          "t2i.redis.job-retention must be positive, was " + retention);
    }
    this.redis = redis;
    this.retention = retention;
    this.clock = clock;
  }

  /** Records a new job as QUEUED. Returns false, changing nothing, if the id is taken. */
  public boolean create(JobSpec spec) {
    Object created =
        redis.eval(
            CREATE_SCRIPT,
            List.of(bytes(RedisKeys.job(spec.getJobId()))),
            List.of(spec.toByteArray(), bytes(now()), bytes(retention.toMillis())));
    return ((Long) created) == 1L;
  }

  /** Moves a job to a later, non-terminal state. */
  public Change advance(String jobId, JobState state) {
    if (JobStates.isTerminal(state)) {
      throw new IllegalArgumentException(state + " is terminal: use finish()");
    }
    return transition(jobId, state, "");
  }

  /** Ends a job with a terminal state and, for anything but SUCCEEDED, the reason. */
  public Change finish(String jobId, JobState state, String reason) {
    if (!JobStates.isTerminal(state)) {
      throw new IllegalArgumentException(state + " is not terminal: use advance()");
    }
    return transition(jobId, state, reason == null ? "" : reason);
  }

  private Change transition(String jobId, JobState state, String reason) {
    Object result =
        redis.eval(
            TRANSITION_SCRIPT,
            List.of(bytes(RedisKeys.job(jobId))),
            List.of(
                bytes(state.getNumber()),
                bytes(now()),
                reason.getBytes(StandardCharsets.UTF_8),
                bytes(retention.toMillis())));
    long code = (Long) result;
    return code == 1 ? Change.APPLIED : code == 0 ? Change.STALE : Change.UNKNOWN;
  }

  /** Records denoising progress; ignored unless the job is DENOISING. */
  public void progress(String jobId, int step, int totalSteps) {
    redis.eval(
        PROGRESS_SCRIPT,
        List.of(bytes(RedisKeys.job(jobId))),
        List.of(bytes(step), bytes(totalSteps)));
  }

  /** Stores one finished image: the PNG under {@code image.png_redis_key}, then its metadata. */
  public void putImage(String jobId, ImageReady image, byte[] png) {
    redis.set(bytes(image.getPngRedisKey()), png, new SetParams().px(retention.toMillis()));
    redis.hset(bytes(RedisKeys.job(jobId)), bytes("img:" + image.getIndex()), image.toByteArray());
  }

  public Optional<byte[]> png(String key) {
    return Optional.ofNullable(redis.get(bytes(key)));
  }

  /** The job's state alone, cheaper than {@link #find}. */
  public Optional<JobState> state(String jobId) {
    byte[] state = redis.hget(bytes(RedisKeys.job(jobId)), bytes("state"));
    return state == null ? Optional.empty() : Optional.of(parseState(state));
  }

  /**
   * The states of several jobs in one round trip (for checks between denoising steps); jobs without
   * a record are absent from the result.
   */
  public Map<String, JobState> states(Collection<String> jobIds) {
    Map<String, Response<String>> responses = new LinkedHashMap<>();
    try (AbstractPipeline pipeline = redis.pipelined()) {
      for (String jobId : jobIds) {
        responses.put(jobId, pipeline.hget(RedisKeys.job(jobId), "state"));
      }
      pipeline.sync();
    }
    Map<String, JobState> states = new LinkedHashMap<>();
    responses.forEach(
        (jobId, response) -> {
          String state = response.get();
          if (state != null) {
            states.put(jobId, parseState(bytes(state)));
          }
        });
    return states;
  }

  public Optional<JobView> find(String jobId) {
    Map<byte[], byte[]> fields = redis.hgetAll(bytes(RedisKeys.job(jobId)));
    if (fields == null || fields.isEmpty()) {
      return Optional.empty();
    }
    Map<String, byte[]> byName = new LinkedHashMap<>();
    fields.forEach((k, v) -> byName.put(new String(k, StandardCharsets.UTF_8), v));
    if (!byName.containsKey("spec") || !byName.containsKey("state")) {
      return Optional.empty();
    }
    try {
      List<StateTransition> transitions = new ArrayList<>();
      List<ImageReady> images = new ArrayList<>();
      for (Map.Entry<String, byte[]> e : byName.entrySet()) {
        String name = e.getKey();
        if (name.startsWith("t:")) {
          long at = Long.parseLong(text(e.getValue()));
          transitions.add(
              StateTransition.newBuilder()
                  .setState(JobState.forNumber(Integer.parseInt(name.substring(2))))
                  .setAt(
                      Timestamp.newBuilder()
                          .setSeconds(at / 1000)
                          .setNanos((int) (at % 1000) * 1_000_000))
                  .build());
        } else if (name.startsWith("img:")) {
          images.add(ImageReady.parseFrom(e.getValue()));
        }
      }
      transitions.sort(Comparator.comparingInt(t -> t.getState().getNumber()));
      images.sort(Comparator.comparingInt(ImageReady::getIndex));
      return Optional.of(
          new JobView(
              JobSpec.parseFrom(byName.get("spec")),
              parseState(byName.get("state")),
              intField(byName, "step"),
              intField(byName, "total"),
              byName.containsKey("reason") ? text(byName.get("reason")) : "",
              transitions,
              images));
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw new IllegalStateException("Corrupt job record in Redis for job " + jobId, e);
    }
  }

  private long now() {
    return clock.millis();
  }

  private static JobState parseState(byte[] value) {
    JobState state = JobState.forNumber(Integer.parseInt(text(value)));
    return state == null ? JobState.JOB_STATE_UNSPECIFIED : state;
  }

  private static int intField(Map<String, byte[]> fields, String name) {
    byte[] value = fields.get(name);
    return value == null ? 0 : Integer.parseInt(text(value));
  }

  private static String text(byte[] value) {
    return new String(value, StandardCharsets.UTF_8);
  }

  private static byte[] bytes(String value) {
    return value.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] bytes(long value) {
    return bytes(Long.toString(value));
  }
}
