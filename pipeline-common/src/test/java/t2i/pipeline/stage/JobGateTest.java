package t2i.pipeline.stage;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.InstantSource;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import redis.clients.jedis.UnifiedJedis;
import t2i.local.SharedLocalStack;
import t2i.pipeline.TestTopics;
import t2i.pipeline.job.JobStore;
import t2i.pipeline.job.JobTracker;
import t2i.pipeline.job.JobView;
import t2i.pipeline.kafka.KafkaClients;
import t2i.pipeline.kafka.KafkaEndpoint;
import t2i.pipeline.kafka.Publisher;
import t2i.pipeline.v1.JobSpec;
import t2i.v1.JobState;

/**
 * What a stage does with a job before working on it, whether the gate only checks the job or also
 * records the stage's state as it lets the job in.
 */
class JobGateTest {

  enum Mode {
    CHECKS,
    RECORDS_ON_ENTRY
  }

  private static UnifiedJedis redis;
  private static KafkaProducer<String, byte[]> producer;
  private static JobStore store;
  private static JobGate gate;

  @BeforeAll
  static void connect() {
    redis = StageConnections.openRedis(SharedLocalStack.get().redisUrl());
    KafkaEndpoint endpoint = KafkaEndpoint.of(SharedLocalStack.get().kafkaBootstrapServers());
    TestTopics.create(endpoint, "gate-test-events");
    producer = KafkaClients.producer(endpoint, "gate-test");
    store = new JobStore(redis, java.time.Duration.ofMinutes(5), InstantSource.system());
    JobTracker tracker =
        new JobTracker(
            store,
            new Publisher(producer, Runnable::run),
            "gate-test-events",
            InstantSource.system());
    gate = new JobGate(tracker, InstantSource.system());
  }

  @AfterAll
  static void disconnect() {
    producer.close();
    redis.close();
  }

  private static JobSpec newSpec(long deadline) {
    return JobSpec.newBuilder()
        .setJobId(UUID.randomUUID().toString())
        .setDeadlineUnixMs(deadline)
        .build();
  }

  private static JobSpec newSpec() {
    return newSpec(System.currentTimeMillis() + 600_000);
  }

  private static Optional<CompletableFuture<?>> skip(
      Mode mode, JobSpec spec, JobState stageState, boolean redo) {
    return switch (mode) {
      case CHECKS -> gate.skipReason(spec, "test-stage", stageState, redo);
      case RECORDS_ON_ENTRY -> gate.enter(spec, "test-stage", stageState, redo);
    };
  }

  private static boolean proceeds(Mode mode, JobSpec spec, JobState stageState, boolean redo) {
    return skip(mode, spec, stageState, redo).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aJobAtOrBeforeTheStage_proceeds(Mode mode) {
    JobSpec spec = newSpec();
    store.create(spec);
    assertThat(proceeds(mode, spec, JobState.TOKENIZING, false)).isTrue();

    store.advance(spec.getJobId(), JobState.TOKENIZING);
    // A redelivery after a crash before the output was handed on: the stage works again.
    assertThat(proceeds(mode, spec, JobState.TOKENIZING, false)).isTrue();
  }

  @Test
  void aGateThatRecords_movesTheJobToTheStagesState_andOnlyAJobItLetsIn() {
    JobSpec queued = newSpec();
    store.create(queued);
    JobSpec later = newSpec();
    store.create(later);
    store.advance(later.getJobId(), JobState.DENOISING);

    assertThat(proceeds(Mode.RECORDS_ON_ENTRY, queued, JobState.ENCODING, false)).isTrue();
    assertThat(proceeds(Mode.RECORDS_ON_ENTRY, later, JobState.ENCODING, false)).isFalse();

    assertThat(store.state(queued.getJobId())).contains(JobState.ENCODING);
    assertThat(store.state(later.getJobId())).contains(JobState.DENOISING);
  }

  @Test
  void aGateThatOnlyChecks_leavesTheJobsStateAlone() {
    JobSpec queued = newSpec();
    store.create(queued);

    assertThat(proceeds(Mode.CHECKS, queued, JobState.ENCODING, false)).isTrue();

    assertThat(store.state(queued.getJobId())).contains(JobState.QUEUED);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aJobALaterStageHas_orThisStageHandedOn_isSkipped(Mode mode) {
    JobSpec later = newSpec();
    store.create(later);
    store.advance(later.getJobId(), JobState.ENCODING);
    JobSpec handed = newSpec();
    store.create(handed);
    store.advance(handed.getJobId(), JobState.TOKENIZING);
    store.markHandedOff(handed.getJobId(), JobState.TOKENIZING, Optional.empty());

    long skippedBefore = gate.duplicatesSkipped();
    assertThat(proceeds(mode, later, JobState.TOKENIZING, false)).isFalse();
    assertThat(proceeds(mode, handed, JobState.TOKENIZING, false)).isFalse();
    assertThat(gate.duplicatesSkipped()).isEqualTo(skippedBefore + 2);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aRedoRequest_proceedsThoughALaterStageHasTheJob_butNotOnceItEnded(Mode mode) {
    JobSpec running = newSpec();
    store.create(running);
    store.advance(running.getJobId(), JobState.DENOISING);
    JobSpec ended = newSpec();
    store.create(ended);
    store.finish(ended.getJobId(), JobState.SUCCEEDED, "");

    assertThat(proceeds(mode, running, JobState.ENCODING, true)).isTrue();
    assertThat(proceeds(mode, ended, JobState.ENCODING, true)).isFalse();
    assertThat(store.state(running.getJobId())).contains(JobState.DENOISING);
    assertThat(store.state(ended.getJobId())).contains(JobState.SUCCEEDED);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aJobWithoutARecord_proceeds_soTheStageRecreatesIt(Mode mode) {
    assertThat(proceeds(mode, newSpec(), JobState.ENCODING, false)).isTrue();
  }

  @Test
  void aGateThatRecords_recreatesTheRecordRedisLost_inTheStagesState() {
    JobSpec spec = newSpec();

    assertThat(proceeds(Mode.RECORDS_ON_ENTRY, spec, JobState.ENCODING, false)).isTrue();

    assertThat(store.state(spec.getJobId())).contains(JobState.ENCODING);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aJobPastItsDeadline_endsExpired_evenIfRedisLostItsRecord(Mode mode) {
    JobSpec spec = newSpec(System.currentTimeMillis() - 1);

    skip(mode, spec, JobState.TOKENIZING, false).orElseThrow().join();

    JobView view = store.find(spec.getJobId()).orElseThrow();
    assertThat(view.state()).isEqualTo(JobState.EXPIRED);
    assertThat(view.reason()).contains("deadline passed before test-stage");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anEndedJobPastItsDeadline_staysAsItEnded(Mode mode) {
    JobSpec spec = newSpec(System.currentTimeMillis() - 1);
    store.create(spec);
    store.finish(spec.getJobId(), JobState.CANCELLED, "asked to");

    assertThat(proceeds(mode, spec, JobState.TOKENIZING, false)).isFalse();

    assertThat(store.state(spec.getJobId())).contains(JobState.CANCELLED);
  }
}
