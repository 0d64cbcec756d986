package t2i.pipeline.job;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;
import org.jspecify.annotations.Nullable;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.ZRangeParams;
import t2i.pipeline.v1.ImageReady;
import t2i.pipeline.v1.JobSpec;
import t2i.v1.CallbackAttempt;
import t2i.v1.JobState;
import t2i.v1.StateTransition;

/**
 * The record of every job, kept in Redis so that any gateway replica can answer for any job.
 *
 * <p>A job's state only moves forward (QUEUED, TOKENIZING, ENCODING, DENOISING, then one terminal
 * state) and a terminal state is final: the checks run inside Redis, atomically, so a redelivered
 * message or a late writer can never move a job back or overwrite its outcome. Every write renews
 * the record's time to live ({@code retention}); no write creates a key without one.
 *
 * <p>Redis is a cache of what Kafka holds: a write that carries the job's {@link JobSpec} (every
 * stage message has it) recreates a record that Redis lost (a restart without persistence, an
 * eviction) and then applies itself, so a job in flight survives the loss of Redis' data. Writes by
 * job id alone never create a record.
 *
 * <p>Thread-safe. Does not own the Redis client.
 */
public final class JobStore {

  private static final Logger LOG = Logger.getLogger(JobStore.class);

  /** Outcome of a state change. */
  public enum Change {
    /** The job moved to the new state. */
    APPLIED,
    /** The job is already in that state, later, or finished: nothing changed. */
    STALE,
    /** No such job (never created, or expired), and no spec to recreate it from. */
    UNKNOWN
  }

  /** Every state number below this is not terminal; every one from it on is. */
  private static final int FIRST_TERMINAL = firstTerminal();

  /**
   * Recreates a missing record from its spec (ARGV[1], empty: do not), with QUEUED stamped at its
   * acceptance and marked published (a stage has it from Kafka); sets {@code restored} to 1 if it
   * did, returns -1 if the record is missing and cannot be recreated. Expects ARGV[2] now, ARGV[3]
   * retention, ARGV[4] QUEUED, ARGV[5] accepted at, and KEYS[2] the deadline index with ARGV[6] the
   * deadline.
   */
  private static final String RESTORE =
      """
      local restored = 0
      if redis.call('EXISTS', KEYS[1]) == 0 then
        if ARGV[1] == '' then return -1 end
        redis.call('HSET', KEYS[1], 'spec', ARGV[1], 'state', ARGV[4], 't:' .. ARGV[4], ARGV[5],
          'restored', ARGV[2], 'published', '1')
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        if tonumber(ARGV[6]) > 0 then
          redis.call('ZADD', KEYS[2], ARGV[6], ARGV[7])
          redis.call('PEXPIRE', KEYS[2], ARGV[3])
        end
        restored = 1
      end
      """;

  /**
   * Reads the record's state into {@code cur} and the state to write (ARGV[8]) into {@code new};
   * ARGV[10] is the first terminal state number.
   */
  private static final String READ_STATE =
      """
      local cur = tonumber(redis.call('HGET', KEYS[1], 'state'))
      local new = tonumber(ARGV[8])
      local terminal = tonumber(ARGV[10])
      """;

  /**
   * Moves the record from {@code cur} to {@code new}, with the reason ARGV[9] if not empty. A job
   * that leaves the queue it waited in (its state moves on from the one it waited in) raises that
   * partition's head in KEYS[3]: the highest offset its stage has taken up.
   */
  private static final String MOVE =
      """
      redis.call('HSET', KEYS[1], 'state', ARGV[8], 't:' .. ARGV[8], ARGV[2])
      if ARGV[9] ~= '' then redis.call('HSET', KEYS[1], 'reason', ARGV[9]) end
      redis.call('PEXPIRE', KEYS[1], ARGV[3])
      local queue = redis.call('HGET', KEYS[1], 'queue')
      if queue then
        local topic, partition, offset, waits =
          string.match(queue, '^([^|]+)|([^|]+)|([^|]+)|([^|]+)$')
        if waits and tonumber(waits) == cur then
          local field = topic .. '|' .. partition
          local head = tonumber(redis.call('HGET', KEYS[3], field) or '-1')
          if tonumber(offset) > head then redis.call('HSET', KEYS[3], field, offset) end
        end
      end
      """;

  /** Returns -1 unknown, 0 stale, 1 applied; plus 2 if the record was recreated. */
  private static final byte[] TRANSITION_SCRIPT =
      bytes(
          RESTORE
              + READ_STATE
              + """
              if cur >= terminal or (new < terminal and new <= cur) then return 2 * restored end
              """
              + MOVE
              + """
              return 1 + 2 * restored
              """);

  /**
   * A stage's entry (see {@link #enter}): returns {outcome, the state found, restored}, where the
   * outcome is 0 for a job that has ended, 1 for one already past the stage (a later state, or the
   * stage handed it on; ARGV[11] is '1' for a redo, which only an ended job stops), 2 for one now
   * in the stage's state.
   */
  private static final byte[] ENTER_SCRIPT =
      bytes(
          RESTORE
              + READ_STATE
              + """
              if cur >= terminal then return {0, cur, restored} end
              local handed = tonumber(redis.call('HGET', KEYS[1], 'handed') or '0')
              if ARGV[11] ~= '1' and (cur > new or handed >= new) then
                return {1, cur, restored}
              end
              if new > cur then
              """
              + MOVE
              + """
              end
              return {2, cur, restored}
              """);

  /** Stores one image: PNG (KEYS[3]) and metadata; returns -1 unknown, 1 stored, 3 restored. */
  private static final byte[] IMAGE_SCRIPT =
      bytes(
          RESTORE
              + """
              redis.call('SET', KEYS[3], ARGV[8], 'PX', ARGV[3])
              redis.call('HSET', KEYS[1], 'img:' .. ARGV[9], ARGV[10])
              redis.call('PEXPIRE', KEYS[1], ARGV[3])
              return 1 + 2 * restored
              """);

  private static final byte[] PROGRESS_SCRIPT =
      bytes(
          """
          if redis.call('HGET', KEYS[1], 'state') ~= ARGV[3] then return 0 end
          redis.call('HSET', KEYS[1], 'step', ARGV[1], 'total', ARGV[2])
          return 1
          """);

  /** Adds one field to a job's record, only while the record exists (never recreates it). */
  private static final byte[] PUT_IF_EXISTS_SCRIPT =
      bytes(
          """
          if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
          redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
          return 1
          """);

  /**
   * Sets a field of an existing record to ARGV[2] unless it already holds that or more; when it
   * does, and ARGV[3] is given, also where the job now waits ('queue').
   */
  private static final byte[] RAISE_SCRIPT =
      bytes(
          """
          if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
          local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
          if cur >= tonumber(ARGV[2]) then return 0 end
          redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
          if ARGV[3] then redis.call('HSET', KEYS[1], 'queue', ARGV[3]) end
          return 1
          """);

  /**
   * Creates a record as QUEUED and indexes its deadline; with a request key (KEYS[3]), only if no
   * other job holds that key, and claims it. Returns the holder's job id, or {@code created}.
   */
  private static final byte[] CREATE_SCRIPT =
      bytes(
          """
          if KEYS[4] then
            local holder = redis.call('GET', KEYS[4])
            if holder then return holder end
          end
          if redis.call('EXISTS', KEYS[1]) == 1 then return 'taken' end
          redis.call('HSET', KEYS[1], 'spec', ARGV[1], 'state', ARGV[4], 't:' .. ARGV[4], ARGV[2])
          redis.call('PEXPIRE', KEYS[1], ARGV[3])
          if tonumber(ARGV[5]) > 0 then
            redis.call('ZADD', KEYS[2], ARGV[5], ARGV[6])
            redis.call('PEXPIRE', KEYS[2], ARGV[3])
          end
          redis.call('ZADD', KEYS[3], ARGV[2], ARGV[6])
          redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. (tonumber(ARGV[2]) - tonumber(ARGV[3])))
          redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -(tonumber(ARGV[7]) + 1))
          redis.call('PEXPIRE', KEYS[3], ARGV[3])
          if KEYS[4] then redis.call('SET', KEYS[4], ARGV[6], 'PX', ARGV[3]) end
          return 'created'
          """);

  /** Most jobs a tenant's history keeps; the oldest go first. */
  public static final int HISTORY_LIMIT = 10_000;

  private final UnifiedJedis redis;
  private final Duration retention;
  private final InstantSource clock;
  private final AtomicLong restoredRecords = new AtomicLong();

  public JobStore(UnifiedJedis redis, Duration retention, InstantSource clock) {
    if (retention.isNegative() || retention.isZero()) {
      throw new IllegalArgumentException("retention must be positive, was " + retention);
    }
    this.redis = redis;
    this.retention = retention;
    this.clock = clock;
  }

  private static int firstTerminal() {
    int first =
        Arrays.stream(JobState.values())
            .filter(s -> s != JobState.UNRECOGNIZED && JobStates.isTerminal(s))
            .mapToInt(JobState::getNumber)
            .min()
            .orElseThrow();
    boolean ordered =
        Arrays.stream(JobState.values())
            .filter(s -> s != JobState.UNRECOGNIZED && !JobStates.isTerminal(s))
            .allMatch(s -> s.getNumber() < first);
    if (!ordered) {
      throw new ExceptionInInitializerError("every terminal job state must follow the others");
    }
    return first;
  }

  /** The outcome of {@link #create(JobSpec, Optional)}. */
  public sealed interface Creation {}

  /** The job was recorded as QUEUED. */
  public record Created() implements Creation {}

  /** The request key already stood for another job: nothing was written. */
  public record AlreadyClaimed(String jobId) implements Creation {}

  /** The job id is taken (a collision): nothing was written. */
  public record IdTaken() implements Creation {}

  /** Records a new job as QUEUED. Returns false, changing nothing, if the id is taken. */
  public boolean create(JobSpec spec) {
    return create(spec, Optional.empty()) instanceof Created;
  }

  /**
   * Records a new job as QUEUED and, given a request key, claims that key for it in the same atomic
   * step: a retry of the request then always finds the job, never a claim without one.
   */
  public Creation create(JobSpec spec, Optional<String> requestKey) {
    List<byte[]> keys = new ArrayList<>();
    keys.add(bytes(RedisKeys.job(spec.getJobId())));
    keys.add(bytes(RedisKeys.deadlines()));
    keys.add(bytes(RedisKeys.tenantHistory(spec.getTenant())));
    requestKey.ifPresent(k -> keys.add(bytes(k)));
    Object result =
        redis.eval(
            CREATE_SCRIPT,
            keys,
            List.of(
                spec.toByteArray(),
                bytes(now()),
                bytes(retention.toMillis()),
                bytes(JobState.QUEUED.getNumber()),
                bytes(spec.getDeadlineUnixMs()),
                bytes(spec.getJobId()),
                bytes(HISTORY_LIMIT)));
    String answer = text((byte[]) result);
    return switch (answer) {
      case "created" -> new Created();
      case "taken" -> new IdTaken();
      default -> new AlreadyClaimed(answer);
    };
  }

  /** Moves a job to a later, non-terminal state; never creates a record. */
  public Change advance(String jobId, JobState state) {
    requireNotTerminal(state);
    return transition(jobId, Optional.empty(), state, "");
  }

  /** Moves a job to a later, non-terminal state, recreating its record if Redis lost it. */
  public Change advance(JobSpec spec, JobState state) {
    requireNotTerminal(state);
    return transition(spec.getJobId(), Optional.of(spec), state, "");
  }

  /** Ends a job with a terminal state and, for anything but SUCCEEDED, the reason. */
  public Change finish(String jobId, JobState state, @Nullable String reason) {
    requireTerminal(state);
    return transition(jobId, Optional.empty(), state, reason == null ? "" : reason);
  }

  /** As {@link #finish(String, JobState, String)}, recreating the record if Redis lost it. */
  public Change finish(JobSpec spec, JobState state, @Nullable String reason) {
    requireTerminal(state);
    return transition(spec.getJobId(), Optional.of(spec), state, reason == null ? "" : reason);
  }

  private static void requireNotTerminal(JobState state) {
    if (JobStates.isTerminal(state)) {
      throw new IllegalArgumentException(state + " is terminal: use finish()");
    }
  }

  private static void requireTerminal(JobState state) {
    if (!JobStates.isTerminal(state)) {
      throw new IllegalArgumentException(state + " is not terminal: use advance()");
    }
  }

  private Change transition(String jobId, Optional<JobSpec> spec, JobState state, String reason) {
    List<byte[]> args = new ArrayList<>(restoreArgs(jobId, spec));
    args.add(bytes(state.getNumber()));
    args.add(bytes(reason));
    args.add(bytes(FIRST_TERMINAL));
    List<byte[]> keys = new ArrayList<>(restoreKeys(jobId));
    keys.add(bytes(RedisKeys.queueHeads()));
    long code = (Long) redis.eval(TRANSITION_SCRIPT, keys, args);
    if (code >= 2) {
      restored(jobId, state);
      code -= 2;
    }
    return code == 1 ? Change.APPLIED : code == 0 ? Change.STALE : Change.UNKNOWN;
  }

  /** Whether a stage may work on a job it received, by {@link #enter}. */
  public enum Entry {
    /** The job is now in the stage's state (or, for a redo, left in a later one): work on it. */
    ENTERED,
    /** The job has ended: nothing to do. */
    ENDED,
    /** A later stage has the job, or this stage already handed it on: a redelivery. */
    PAST
  }

  /** What {@link #enter} found and did: the verdict and the state the job was in. */
  public record Entrance(Entry entry, JobState found) {}

  /**
   * A stage's check and its state change in one atomic step (one round trip): a job that has ended
   * or is already past the stage is left alone; any other moves to {@code stageState} (unless it is
   * already there or, for a redo, later), its record recreated if Redis lost it.
   *
   * @param redo whether a later stage asked for this stage's work again: then only an ended job is
   *     refused
   */
  public Entrance enter(JobSpec spec, JobState stageState, boolean redo) {
    requireNotTerminal(stageState);
    String jobId = spec.getJobId();
    List<byte[]> args = new ArrayList<>(restoreArgs(jobId, Optional.of(spec)));
    args.add(bytes(stageState.getNumber()));
    args.add(bytes(""));
    args.add(bytes(FIRST_TERMINAL));
    args.add(bytes(redo ? "1" : "0"));
    List<byte[]> keys = new ArrayList<>(restoreKeys(jobId));
    keys.add(bytes(RedisKeys.queueHeads()));
    List<?> answer = (List<?>) redis.eval(ENTER_SCRIPT, keys, args);
    if ((Long) answer.get(2) == 1) {
      restored(jobId, stageState);
    }
    Entry entry =
        switch (((Long) answer.get(0)).intValue()) {
          case 0 -> Entry.ENDED;
          case 1 -> Entry.PAST;
          default -> Entry.ENTERED;
        };
    return new Entrance(entry, stateOf(((Long) answer.get(1)).intValue()));
  }

  private List<byte[]> restoreKeys(String jobId) {
    return List.of(bytes(RedisKeys.job(jobId)), bytes(RedisKeys.deadlines()));
  }

  /** ARGV[1..7] of {@link #RESTORE}. */
  private List<byte[]> restoreArgs(String jobId, Optional<JobSpec> spec) {
    return List.of(
        spec.map(JobSpec::toByteArray).orElse(new byte[0]),
        bytes(now()),
        bytes(retention.toMillis()),
        bytes(JobState.QUEUED.getNumber()),
        bytes(spec.map(JobSpec::getAcceptedAtUnixMs).orElse(0L)),
        bytes(spec.map(JobSpec::getDeadlineUnixMs).orElse(0L)),
        bytes(jobId));
  }

  private void restored(String jobId, JobState writing) {
    restoredRecords.incrementAndGet();
    LOG.infof(
        "Job %s had no record in Redis (Redis lost its data?); recreated it from the job's"
            + " message while recording %s",
        jobId, writing);
  }

  /** Records recreated from stage messages since start (for tests and metrics). */
  public long restoredRecords() {
    return restoredRecords.get();
  }

  /** Records denoising progress; ignored unless the job is DENOISING. */
  public void progress(String jobId, int step, int totalSteps) {
    redis.eval(
        PROGRESS_SCRIPT,
        List.of(bytes(RedisKeys.job(jobId))),
        List.of(bytes(step), bytes(totalSteps), bytes(JobState.DENOISING.getNumber())));
  }

  /**
   * Stores one finished image: the PNG under {@code image.png_redis_key}, then its metadata; both
   * expire with the record. Without a record (and no spec to recreate it) nothing is stored.
   *
   * @return false if nothing was stored
   */
  public boolean putImage(String jobId, ImageReady image, byte[] png) {
    return putImage(jobId, Optional.empty(), image, png);
  }

  /** As {@link #putImage(String, ImageReady, byte[])}, recreating a lost record from its spec. */
  public boolean putImage(JobSpec spec, ImageReady image, byte[] png) {
    return putImage(spec.getJobId(), Optional.of(spec), image, png);
  }

  private boolean putImage(String jobId, Optional<JobSpec> spec, ImageReady image, byte[] png) {
    if (!image.getPngRedisKey().equals(RedisKeys.png(jobId, image.getIndex()))) {
      throw new IllegalArgumentException(
          "image " + image.getIndex() + " of job " + jobId + " must be stored under its own key");
    }
    List<byte[]> keys = new ArrayList<>(restoreKeys(jobId));
    keys.add(bytes(image.getPngRedisKey()));
    List<byte[]> args = new ArrayList<>(restoreArgs(jobId, spec));
    args.add(png);
    args.add(bytes(image.getIndex()));
    args.add(image.toByteArray());
    long code = (Long) redis.eval(IMAGE_SCRIPT, keys, args);
    if (code == 3) {
      restored(jobId, JobState.DENOISING);
    }
    return code > 0;
  }

  /** Notes that Kafka has the job's submission, so that a retry need not publish it again. */
  public void markPublished(String jobId) {
    raise(jobId, "published", 1, Optional.empty());
  }

  /** As {@link #markPublished(String)}, noting also where the job waits for the first stage. */
  public void markPublished(String jobId, QueuePlace place) {
    raise(jobId, "published", 1, Optional.of(place));
  }

  /**
   * Notes that the stage working in {@code state} has handed the job's output to the next stage: a
   * redelivery of its input then skips the job instead of sending a second output. With a place,
   * notes also where the job now waits.
   */
  public void markHandedOff(String jobId, JobState state, Optional<QueuePlace> place) {
    raise(jobId, "handed", state.getNumber(), place);
  }

  /**
   * The highest offset each stage has taken up from each partition of its input topic, keyed by
   * {@link QueuePlace#partitionKey()}: where a queue's head stands, as the jobs leaving it record.
   */
  public Map<String, Long> queueHeads() {
    Map<String, Long> heads = new LinkedHashMap<>();
    Map<byte[], byte[]> fields = redis.hgetAll(bytes(RedisKeys.queueHeads()));
    if (fields != null) {
      fields.forEach((k, v) -> heads.put(text(k), Long.parseLong(text(v))));
    }
    return heads;
  }

  /**
   * Records one attempt at delivering the job's callback (GetJob shows it).
   *
   * @return false if the job's record is gone (past its retention)
   */
  public boolean recordCallbackAttempt(String jobId, CallbackAttempt attempt) {
    Object written =
        redis.eval(
            PUT_IF_EXISTS_SCRIPT,
            List.of(bytes(RedisKeys.job(jobId))),
            List.of(bytes("cb:" + attempt.getAttempt()), attempt.toByteArray()));
    return Long.valueOf(1).equals(written);
  }

  private void raise(String jobId, String field, long value, Optional<QueuePlace> place) {
    List<byte[]> args = new ArrayList<>(List.of(bytes(field), bytes(value)));
    place.ifPresent(p -> args.add(bytes(p.encode())));
    redis.eval(RAISE_SCRIPT, List.of(bytes(RedisKeys.job(jobId))), args);
  }

  /**
   * Jobs whose deadline passed before {@code before} (at most {@code limit}, earliest first), for
   * the sweep that ends jobs nobody else will.
   */
  public List<String> overdue(long before, int limit) {
    // Scores are epoch milliseconds, far below 2^53, so the double holds them exactly.
    return redis.zrange(
        RedisKeys.deadlines(),
        ZRangeParams.zrangeByScoreParams(Double.NEGATIVE_INFINITY, (double) before)
            .limit(0, limit));
  }

  /** Drops jobs from the deadline index once they have ended. */
  public void forgetDeadlines(Collection<String> jobIds) {
    if (!jobIds.isEmpty()) {
      redis.zrem(RedisKeys.deadlines(), jobIds.toArray(String[]::new));
    }
  }

  public Optional<byte[]> png(String key) {
    return Optional.ofNullable(redis.get(bytes(key)));
  }

  /** The job's state alone, cheaper than {@link #find}. */
  public Optional<JobState> state(String jobId) {
    byte[] state = redis.hget(bytes(RedisKeys.job(jobId)), bytes("state"));
    return state == null ? Optional.empty() : Optional.of(parseState(state));
  }

  /** The job's state and how far its stages have handed it on, in one round trip. */
  public Optional<Progress> progress(String jobId) {
    List<byte[]> fields = redis.hmget(bytes(RedisKeys.job(jobId)), bytes("state"), bytes("handed"));
    if (fields == null || fields.get(0) == null) {
      return Optional.empty();
    }
    int handed = fields.get(1) == null ? 0 : Integer.parseInt(text(fields.get(1)));
    return Optional.of(new Progress(parseState(fields.get(0)), handed));
  }

  /**
   * Where a job stands: its state, and the number of the latest state whose stage has handed the
   * job on (0 for none).
   */
  public record Progress(JobState state, int handedOff) {}

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

  /**
   * Ids of a tenant's jobs, newest first, from position {@code offset} of its history; ids whose
   * records have expired may be among them.
   */
  public List<String> history(String tenant, long offset, int count) {
    return redis.zrange(
        RedisKeys.tenantHistory(tenant),
        ZRangeParams.zrangeParams(offset, offset + count - 1).rev());
  }

  public Optional<JobView> find(String jobId) {
    return view(jobId, redis.hgetAll(bytes(RedisKeys.job(jobId))));
  }

  /**
   * The records of several jobs in one round trip, in the order of {@code jobIds}; empty where a
   * job has no record.
   */
  public List<Optional<JobView>> findAll(List<String> jobIds) {
    List<Response<Map<byte[], byte[]>>> responses = new ArrayList<>(jobIds.size());
    try (AbstractPipeline pipeline = redis.pipelined()) {
      for (String jobId : jobIds) {
        responses.add(pipeline.hgetAll(bytes(RedisKeys.job(jobId))));
      }
      pipeline.sync();
    }
    List<Optional<JobView>> views = new ArrayList<>(jobIds.size());
    for (int i = 0; i < jobIds.size(); i++) {
      views.add(view(jobIds.get(i), responses.get(i).get()));
    }
    return views;
  }

  private static Optional<JobView> view(String jobId, @Nullable Map<byte[], byte[]> fields) {
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
      List<CallbackAttempt> attempts = new ArrayList<>();
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
        } else if (name.startsWith("cb:")) {
          attempts.add(CallbackAttempt.parseFrom(e.getValue()));
        }
      }
      attempts.sort(Comparator.comparingInt(CallbackAttempt::getAttempt));
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
              images,
              intField(byName, "published") > 0,
              attempts,
              byName.containsKey("queue")
                  ? QueuePlace.decode(text(byName.get("queue")))
                  : Optional.empty()));
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw new IllegalStateException("Corrupt job record in Redis for job " + jobId, e);
    }
  }

  private long now() {
    return clock.millis();
  }

  private static JobState parseState(byte[] value) {
    return stateOf(Integer.parseInt(text(value)));
  }

  private static JobState stateOf(int number) {
    JobState state = JobState.forNumber(number);
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
