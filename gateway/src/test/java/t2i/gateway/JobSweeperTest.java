package t2i.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import t2i.local.LocalStackTestResource;
import t2i.pipeline.v1.JobSpec;
import t2i.v1.JobState;

/** No job stays unfinished past its deadline. */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class JobSweeperTest {

  private static final Duration GRACE = Duration.ofSeconds(30);

  @Inject GatewayConfig config;

  private final AtomicLong now = new AtomicLong(System.currentTimeMillis());
  private TestStages stages;
  private JobSweeper sweeper;

  @BeforeEach
  void connect() {
    stages = new TestStages(config);
    sweeper =
        new JobSweeper(
            stages.store,
            stages.tracker,
            GRACE,
            Duration.ofMinutes(1),
            () -> Instant.ofEpochMilli(now.get()));
  }

  @AfterEach
  void disconnect() {
    sweeper.close();
    stages.close();
  }

  private JobSpec recorded(long deadline) {
    JobSpec spec =
        JobSpec.newBuilder()
            .setJobId(UUID.randomUUID().toString())
            .setDeadlineUnixMs(deadline)
            .build();
    stages.store.create(spec);
    return spec;
  }

  @Test
  void aJobRecordedButNeverQueued_endsFailedOnceItsDeadlinePassed() {
    JobSpec spec = recorded(now.get() + 1000);
    assertThat(sweeper.sweep()).doesNotContain(spec.getJobId());

    now.addAndGet(1000);

    assertThat(sweeper.sweep()).contains(spec.getJobId());
    assertThat(stages.store.state(spec.getJobId())).contains(JobState.FAILED);
    assertThat(stages.store.find(spec.getJobId()).orElseThrow().reason())
        .contains("never queued")
        .contains("submit it again");
  }

  @Test
  void aQueuedJobTheStagesLeft_endsExpired_onlyAfterTheGrace() {
    JobSpec spec = recorded(now.get());
    stages.store.markPublished(spec.getJobId());

    assertThat(sweeper.sweep()).doesNotContain(spec.getJobId());
    now.addAndGet(GRACE.toMillis());

    assertThat(sweeper.sweep()).contains(spec.getJobId());
    assertThat(stages.store.state(spec.getJobId())).contains(JobState.EXPIRED);
  }

  @Test
  void anEndedJob_isLeftAsItIs_andForgotten() {
    JobSpec spec = recorded(now.get());
    stages.finish(spec.getJobId(), JobState.SUCCEEDED, "");

    assertThat(sweeper.sweep()).doesNotContain(spec.getJobId());
    assertThat(stages.store.state(spec.getJobId())).contains(JobState.SUCCEEDED);
    assertThat(stages.store.overdue(now.get(), 100_000)).doesNotContain(spec.getJobId());
  }
}
