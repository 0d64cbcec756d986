package t2i.pipeline.stage;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.InstantSource;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
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

/** What a stage does with a job before working on it. */
class JobGateTest {

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

  private static boolean proceeds(JobSpec spec, JobState stageState, boolean redo) {
    return gate.skipReason(spec, "test-stage", stageState, redo).isEmpty();
  }

  @Test
  void aJobAtOrBeforeTheStage_proceeds() {
    JobSpec spec = newSpec();
    store.create(spec);
    assertThat(proceeds(spec, JobState.TOKENIZING, false)).isTrue();

    store.advance(spec.getJobId(), JobState.TOKENIZING);
    // A redelivery after a crash before the output was handed on: the stage works again.
    assertThat(proceeds(spec, JobState.TOKENIZING, false)).isTrue();
  }

  @Test
  void aJobALaterStageHas_orThisStageHandedOn_isSkipped() {
    JobSpec later = newSpec();
    store.create(later);
    store.advance(later.getJobId(), JobState.ENCODING);
    JobSpec handed = newSpec();
    store.create(handed);
    store.advance(handed.getJobId(), JobState.TOKENIZING);
    store.markHandedOff(handed.getJobId(), JobState.TOKENIZING, Optional.empty());

    assertThat(proceeds(later, JobState.TOKENIZING, false)).isFalse();
    assertThat(proceeds(handed, JobState.TOKENIZING, false)).isFalse();
    assertThat(gate.duplicatesSkipped()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void aRedoRequest_proceedsThoughALaterStageHasTheJob_butNotOnceItEnded() {
    JobSpec running = newSpec();
    store.create(running);
    store.advance(running.getJobId(), JobState.DENOISING);
    JobSpec ended = newSpec();
    store.create(ended);
    store.finish(ended.getJobId(), JobState.SUCCEEDED, "");

    assertThat(proceeds(running, JobState.ENCODING, true)).isTrue();
    assertThat(proceeds(ended, JobState.ENCODING, true)).isFalse();
  }

  @Test
  void aJobWithoutARecord_proceeds_soTheStageRecreatesIt() {
    assertThat(proceeds(newSpec(), JobState.ENCODING, false)).isTrue();
  }

  @Test
  void aJobPastItsDeadline_endsExpired_evenIfRedisLostItsRecord() {
    JobSpec spec = newSpec(System.currentTimeMillis() - 1);

    gate.skipReason(spec, "test-stage", JobState.TOKENIZING, false).orElseThrow().join();

    JobView view = store.find(spec.getJobId()).orElseThrow();
    assertThat(view.state()).isEqualTo(JobState.EXPIRED);
    assertThat(view.reason()).contains("deadline passed before test-stage");
  }
}
