package t2i.pipeline.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import com.google.protobuf.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.UnifiedJedis;
import t2i.local.SharedLocalStack;
import t2i.pipeline.stage.StageConnections;
import t2i.pipeline.v1.ImageReady;
import t2i.pipeline.v1.JobSpec;
import t2i.v1.GenerateRequest;
import t2i.v1.JobState;

class JobStoreTest {

  private static final Duration RETENTION = Duration.ofMinutes(5);
  private static final UnifiedJedis redis =
      StageConnections.openRedis(SharedLocalStack.get().redisUrl());
  private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
  private final JobStore store = new JobStore(redis, RETENTION, InstantSource.system());

  @AfterAll
  static void disconnect() {
    redis.close();
  }

  private JobStore clocked() {
    return new JobStore(redis, RETENTION, () -> Instant.ofEpochMilli(now.get()));
  }

  private static long millis(Timestamp at) {
    return at.getSeconds() * 1000 + at.getNanos() / 1_000_000;
  }

  private static JobSpec newSpec() {
    return JobSpec.newBuilder()
        .setJobId(UUID.randomUUID().toString())
        .setRequest(GenerateRequest.newBuilder().setPrompt("a red circle"))
        .build();
  }

  @Test
  void create_recordsTheJobAsQueued() {
    JobSpec spec = newSpec();

    assertThat(store.create(spec)).isTrue();

    JobView view = store.find(spec.getJobId()).orElseThrow();
    assertThat(view.spec()).isEqualTo(spec);
    assertThat(view.state()).isEqualTo(JobState.QUEUED);
    assertThat(view.transitions()).extracting(t -> t.getState()).containsExactly(JobState.QUEUED);
  }

  @Test
  void create_existingId_changesNothing() {
    JobSpec spec = newSpec();
    store.create(spec);
    store.advance(spec.getJobId(), JobState.TOKENIZING);

    assertThat(store.create(spec)).isFalse();
    assertThat(store.state(spec.getJobId())).contains(JobState.TOKENIZING);
  }

  @Test
  void advance_movesForwardAndStampsEachState() {
    JobStore store = clocked();
    JobSpec spec = newSpec();
    store.create(spec);
    now.addAndGet(1500);

    assertThat(store.advance(spec.getJobId(), JobState.TOKENIZING))
        .isEqualTo(JobStore.Change.APPLIED);

    JobView view = store.find(spec.getJobId()).orElseThrow();
    assertThat(view.transitions()).hasSize(2);
    assertThat(view.transitions().get(1).getState()).isEqualTo(JobState.TOKENIZING);
    assertThat(millis(view.transitions().get(1).getAt())).isEqualTo(now.get());
  }

  @Test
  void advance_toAnEarlierOrSameState_isStale() {
    JobSpec spec = newSpec();
    store.create(spec);
    store.advance(spec.getJobId(), JobState.ENCODING);

    assertThat(store.advance(spec.getJobId(), JobState.TOKENIZING))
        .isEqualTo(JobStore.Change.STALE);
    assertThat(store.advance(spec.getJobId(), JobState.ENCODING)).isEqualTo(JobStore.Change.STALE);
    assertThat(store.state(spec.getJobId())).contains(JobState.ENCODING);
  }

  @Test
  void finish_isFinal_noLaterWriteChangesTheOutcome() {
    JobSpec spec = newSpec();
    store.create(spec);
    store.finish(spec.getJobId(), JobState.CANCELLED, "cancelled by the user");

    assertThat(store.finish(spec.getJobId(), JobState.SUCCEEDED, ""))
        .isEqualTo(JobStore.Change.STALE);
    assertThat(store.advance(spec.getJobId(), JobState.DENOISING)).isEqualTo(JobStore.Change.STALE);
    JobView view = store.find(spec.getJobId()).orElseThrow();
    assertThat(view.state()).isEqualTo(JobState.CANCELLED);
    assertThat(view.reason()).isEqualTo("cancelled by the user");
  }

  @Test
  void changes_toAnUnknownJob_reportUnknown() {
    assertThat(store.advance("no-such-job", JobState.TOKENIZING))
        .isEqualTo(JobStore.Change.UNKNOWN);
    assertThat(store.finish("no-such-job", JobState.FAILED, "x"))
        .isEqualTo(JobStore.Change.UNKNOWN);
    assertThat(store.find("no-such-job")).isEmpty();
    assertThat(store.state("no-such-job")).isEmpty();
  }

  @Test
  void advance_withATerminalState_isRejected() {
    assertThatThrownBy(() -> store.advance("x", JobState.SUCCEEDED))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.finish("x", JobState.DENOISING, ""))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void progress_isRecordedOnlyWhileDenoising() {
    JobSpec spec = newSpec();
    store.create(spec);
    store.progress(spec.getJobId(), 3, 20);
    assertThat(store.find(spec.getJobId()).orElseThrow().step()).isZero();

    store.advance(spec.getJobId(), JobState.DENOISING);
    store.progress(spec.getJobId(), 3, 20);

    JobView view = store.find(spec.getJobId()).orElseThrow();
    assertThat(view.step()).isEqualTo(3);
    assertThat(view.totalSteps()).isEqualTo(20);
  }

  @Test
  void putImage_storesPngAndMetadataInIndexOrder() {
    JobSpec spec = newSpec();
    store.create(spec);
    for (int index : new int[] {1, 0}) {
      ImageReady ready =
          ImageReady.newBuilder()
              .setIndex(index)
              .setSeed(40 + index)
              .setPngRedisKey(RedisKeys.png(spec.getJobId(), index))
              .build();
      store.putImage(spec.getJobId(), ready, new byte[] {(byte) index, 9});
    }

    JobView view = store.find(spec.getJobId()).orElseThrow();
    assertThat(view.images()).extracting(ImageReady::getSeed).containsExactly(40L, 41L);
    assertThat(store.png(RedisKeys.png(spec.getJobId(), 1)))
        .hasValueSatisfying(png -> assertThat(png).containsExactly(1, 9));
  }

  @Test
  void records_expireAfterTheRetention() {
    JobSpec spec = newSpec();
    store.create(spec);

    long ttl = redis.pttl(RedisKeys.job(spec.getJobId()));
    assertThat(ttl).isPositive().isLessThanOrEqualTo(RETENTION.toMillis());
  }

  @Test
  void construction_nonPositiveRetention_isRefused() {
    assertThatThrownBy(() -> new JobStore(redis, Duration.ZERO, InstantSource.system()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("retention must be positive");
  }

  @Test
  void states_ofSeveralJobs_inOneCall_skipUnknownOnes() {
    JobSpec running = newSpec();
    JobSpec cancelled = newSpec();
    store.create(running);
    store.create(cancelled);
    store.advance(running.getJobId(), JobState.DENOISING);
    store.finish(cancelled.getJobId(), JobState.CANCELLED, "by the user");

    assertThat(store.states(List.of(running.getJobId(), cancelled.getJobId(), "unknown")))
        .containsExactly(
            entry(running.getJobId(), JobState.DENOISING),
            entry(cancelled.getJobId(), JobState.CANCELLED));
  }

  @Test
  void findAll_readsSeveralRecordsInOneCall_inTheOrderAsked_emptyForUnknownOnes() {
    JobSpec running = newSpec();
    JobSpec cancelled = newSpec();
    store.create(running);
    store.create(cancelled);
    store.advance(running.getJobId(), JobState.DENOISING);
    store.finish(cancelled.getJobId(), JobState.CANCELLED, "by the user");

    List<Optional<JobView>> found =
        store.findAll(List.of(cancelled.getJobId(), "unknown", running.getJobId()));

    assertThat(found).hasSize(3);
    assertThat(found.get(0))
        .hasValueSatisfying(v -> assertThat(v.reason()).isEqualTo("by the user"));
    assertThat(found.get(1)).isEmpty();
    assertThat(found.get(2))
        .hasValueSatisfying(v -> assertThat(v.state()).isEqualTo(JobState.DENOISING));
    assertThat(found.get(2).orElseThrow()).isEqualTo(store.find(running.getJobId()).orElseThrow());
  }

  @Test
  void writesCarryingTheSpec_recreateARecordRedisLost_andThenApply() {
    JobSpec spec = newSpec().toBuilder().setAcceptedAtUnixMs(1234).build();

    assertThat(store.advance(spec, JobState.ENCODING)).isEqualTo(JobStore.Change.APPLIED);

    JobView view = store.find(spec.getJobId()).orElseThrow();
    assertThat(view.spec()).isEqualTo(spec);
    assertThat(view.state()).isEqualTo(JobState.ENCODING);
    assertThat(view.transitions())
        .extracting(t -> t.getState())
        .containsExactly(JobState.QUEUED, JobState.ENCODING);
    assertThat(millis(view.transitions().getFirst().getAt()) % 1000).isEqualTo(234);
    assertThat(redis.pttl(RedisKeys.job(spec.getJobId()))).isPositive();
    assertThat(store.restoredRecords()).isEqualTo(1);
  }

  @Test
  void finishCarryingTheSpec_recordsTheOutcomeOfAJobRedisLost() {
    JobSpec spec = newSpec();

    assertThat(store.finish(spec, JobState.SUCCEEDED, "")).isEqualTo(JobStore.Change.APPLIED);

    assertThat(store.state(spec.getJobId())).contains(JobState.SUCCEEDED);
  }

  @Test
  void putImage_withoutARecordOrSpec_storesNothing_soNoKeyLivesForever() {
    JobSpec spec = newSpec();
    ImageReady ready =
        ImageReady.newBuilder()
            .setIndex(0)
            .setPngRedisKey(RedisKeys.png(spec.getJobId(), 0))
            .build();

    assertThat(store.putImage(spec.getJobId(), ready, new byte[] {1})).isFalse();

    assertThat(redis.exists(RedisKeys.job(spec.getJobId()))).isFalse();
    assertThat(redis.exists(RedisKeys.png(spec.getJobId(), 0))).isFalse();
  }

  @Test
  void putImage_withTheSpec_recreatesTheRecord_andEveryKeyExpires() {
    JobSpec spec = newSpec();
    ImageReady ready =
        ImageReady.newBuilder()
            .setIndex(0)
            .setPngRedisKey(RedisKeys.png(spec.getJobId(), 0))
            .build();

    assertThat(store.putImage(spec, ready, new byte[] {1})).isTrue();

    assertThat(store.find(spec.getJobId()).orElseThrow().images()).containsExactly(ready);
    assertThat(redis.pttl(RedisKeys.job(spec.getJobId()))).isPositive();
    assertThat(redis.pttl(RedisKeys.png(spec.getJobId(), 0))).isPositive();
  }

  @Test
  void create_withARequestKey_claimsIt_andARetryFindsTheFirstJob() {
    JobSpec first = newSpec();
    JobSpec retry = newSpec();
    String key = "t2i:test:request:" + UUID.randomUUID();

    assertThat(store.create(first, java.util.Optional.of(key)))
        .isInstanceOf(JobStore.Created.class);
    assertThat(store.create(retry, java.util.Optional.of(key)))
        .isEqualTo(new JobStore.AlreadyClaimed(first.getJobId()));

    assertThat(store.find(retry.getJobId())).isEmpty();
    assertThat(redis.pttl(key)).isPositive();
  }

  @Test
  void handedOffAndPublished_areNotedOnTheRecord_andNeverGoBack() {
    JobSpec spec = newSpec();
    store.create(spec);

    store.markHandedOff(spec.getJobId(), JobState.ENCODING, Optional.empty());
    store.markHandedOff(spec.getJobId(), JobState.TOKENIZING, Optional.empty());
    store.markPublished(spec.getJobId());

    assertThat(store.progress(spec.getJobId()))
        .contains(new JobStore.Progress(JobState.QUEUED, JobState.ENCODING.getNumber()));
    assertThat(store.find(spec.getJobId()).orElseThrow().published()).isTrue();
  }

  @Test
  void theQueueAJobWaitsIn_isItsLastHandOffs_untilTheNextStageTakesTheJob() {
    JobSpec spec = newSpec();
    store.create(spec);
    QueuePlace jobs = new QueuePlace("t2i.jobs", 2, 41, JobState.QUEUED);
    QueuePlace tokenized = new QueuePlace("t2i.tokenized", 1, 7, JobState.TOKENIZING);

    store.markPublished(spec.getJobId(), jobs);
    assertThat(store.find(spec.getJobId()).orElseThrow().waitingIn()).contains(jobs);

    store.advance(spec.getJobId(), JobState.TOKENIZING);
    store.markHandedOff(spec.getJobId(), JobState.TOKENIZING, Optional.of(tokenized));
    assertThat(store.find(spec.getJobId()).orElseThrow().waitingIn()).contains(tokenized);

    // A late duplicate of an earlier hand-off does not move the job back.
    store.markPublished(spec.getJobId(), jobs);
    assertThat(store.find(spec.getJobId()).orElseThrow().queuePlace()).contains(tokenized);

    store.advance(spec.getJobId(), JobState.ENCODING);
    assertThat(store.find(spec.getJobId()).orElseThrow().waitingIn()).isEmpty();
  }

  @Test
  void aJobLeavingItsQueue_raisesThatPartitionsHead_andNeverLowersIt() {
    String topic = "t2i.queue-test-" + UUID.randomUUID();
    JobSpec later = newSpec();
    JobSpec earlier = newSpec();
    store.create(later);
    store.create(earlier);
    store.markPublished(later.getJobId(), new QueuePlace(topic, 3, 9, JobState.QUEUED));
    store.markPublished(earlier.getJobId(), new QueuePlace(topic, 3, 4, JobState.QUEUED));
    assertThat(store.queueHeads()).doesNotContainKey(topic + "|3");

    store.advance(later.getJobId(), JobState.TOKENIZING);
    assertThat(store.queueHeads()).containsEntry(topic + "|3", 9L);

    store.advance(earlier.getJobId(), JobState.TOKENIZING);
    assertThat(store.queueHeads()).as("a job taken out of order").containsEntry(topic + "|3", 9L);
  }

  @Test
  void enter_movesAJobBeforeTheStageToItsState_andRaisesTheHeadOfTheQueueItLeaves() {
    String topic = "t2i.enter-test-" + UUID.randomUUID();
    JobSpec spec = newSpec();
    store.create(spec);
    store.markPublished(spec.getJobId(), new QueuePlace(topic, 0, 12, JobState.QUEUED));

    JobStore.Entrance entrance = store.enter(spec, JobState.TOKENIZING, false);

    assertThat(entrance).isEqualTo(new JobStore.Entrance(JobStore.Entry.ENTERED, JobState.QUEUED));
    JobView view = store.find(spec.getJobId()).orElseThrow();
    assertThat(view.state()).isEqualTo(JobState.TOKENIZING);
    assertThat(view.transitions())
        .extracting(t -> t.getState())
        .containsExactly(JobState.QUEUED, JobState.TOKENIZING);
    assertThat(store.queueHeads()).containsEntry(topic + "|0", 12L);
  }

  @Test
  void enter_again_beforeTheStageHandedTheJobOn_letsItIn_withoutASecondTransition() {
    JobSpec spec = newSpec();
    store.create(spec);
    store.enter(spec, JobState.TOKENIZING, false);

    JobStore.Entrance again = store.enter(spec, JobState.TOKENIZING, false);

    assertThat(again.entry()).isEqualTo(JobStore.Entry.ENTERED);
    assertThat(store.find(spec.getJobId()).orElseThrow().transitions()).hasSize(2);
  }

  @Test
  void enter_refusesAJobALaterStageHas_orThisStageHandedOn_changingNothing() {
    JobSpec later = newSpec();
    store.create(later);
    store.advance(later.getJobId(), JobState.DENOISING);
    JobSpec handed = newSpec();
    store.create(handed);
    store.enter(handed, JobState.TOKENIZING, false);
    store.markHandedOff(handed.getJobId(), JobState.TOKENIZING, Optional.empty());

    assertThat(store.enter(later, JobState.ENCODING, false))
        .isEqualTo(new JobStore.Entrance(JobStore.Entry.PAST, JobState.DENOISING));
    assertThat(store.enter(handed, JobState.TOKENIZING, false).entry())
        .isEqualTo(JobStore.Entry.PAST);
    assertThat(store.state(later.getJobId())).contains(JobState.DENOISING);
  }

  @Test
  void enter_forARedo_letsInAJobALaterStageHas_leavingItsState() {
    JobSpec spec = newSpec();
    store.create(spec);
    store.advance(spec.getJobId(), JobState.DENOISING);

    assertThat(store.enter(spec, JobState.ENCODING, true).entry())
        .isEqualTo(JobStore.Entry.ENTERED);
    assertThat(store.state(spec.getJobId())).contains(JobState.DENOISING);
  }

  @Test
  void enter_refusesAJobThatEnded_evenForARedo() {
    JobSpec spec = newSpec();
    store.create(spec);
    store.finish(spec.getJobId(), JobState.CANCELLED, "asked to");

    assertThat(store.enter(spec, JobState.ENCODING, true))
        .isEqualTo(new JobStore.Entrance(JobStore.Entry.ENDED, JobState.CANCELLED));
    assertThat(store.state(spec.getJobId())).contains(JobState.CANCELLED);
  }

  @Test
  void enter_recreatesARecordRedisLost_inTheStagesState() {
    JobSpec spec = newSpec().toBuilder().setAcceptedAtUnixMs(1_700_000_000_000L).build();
    long restoredBefore = store.restoredRecords();

    assertThat(store.enter(spec, JobState.ENCODING, false).entry())
        .isEqualTo(JobStore.Entry.ENTERED);

    JobView view = store.find(spec.getJobId()).orElseThrow();
    assertThat(view.spec()).isEqualTo(spec);
    assertThat(view.state()).isEqualTo(JobState.ENCODING);
    assertThat(redis.pttl(RedisKeys.job(spec.getJobId()))).isPositive();
    assertThat(store.restoredRecords()).isEqualTo(restoredBefore + 1);
  }

  @Test
  void markHandedOff_ofAJobWithoutARecord_createsNothing() {
    String jobId = UUID.randomUUID().toString();

    store.markHandedOff(jobId, JobState.TOKENIZING, Optional.empty());

    assertThat(redis.exists(RedisKeys.job(jobId))).isFalse();
  }

  @Test
  void overdue_listsJobsWhoseDeadlinePassed_untilTheyAreForgotten() {
    long now = System.currentTimeMillis();
    JobSpec late = newSpec().toBuilder().setDeadlineUnixMs(now - 1000).build();
    JobSpec onTime = newSpec().toBuilder().setDeadlineUnixMs(now + 600_000).build();
    store.create(late);
    store.create(onTime);

    assertThat(store.overdue(now, 1000))
        .contains(late.getJobId())
        .doesNotContain(onTime.getJobId());

    store.forgetDeadlines(List.of(late.getJobId()));
    assertThat(store.overdue(now, 1000)).doesNotContain(late.getJobId());
  }
}
