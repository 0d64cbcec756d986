package t2i.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import t2i.local.LocalStackTestResource;
import t2i.pipeline.job.RedisKeys;
import t2i.v1.GenerateRequest;
import t2i.v1.GetJobRequest;
import t2i.v1.JobState;
import t2i.v1.TextToImageGrpc;

/** Results are kept for the configured retention and then expire, with their request id. */
@QuarkusTest
@TestProfile(RetentionProfile.class)
@QuarkusTestResource(LocalStackTestResource.class)
class RetentionTest {

  @GrpcClient("t2i")
  Channel channel;

  @Inject GatewayConfig config;

  private TextToImageGrpc.TextToImageBlockingStub blocking;
  private TestStages stages;

  @BeforeEach
  void connect() {
    blocking = TextToImageGrpc.newBlockingStub(channel);
    stages = new TestStages(config);
  }

  @AfterEach
  void disconnect() {
    stages.close();
  }

  private Status.Code getJobStatus(String jobId) {
    try {
      blocking.getJob(GetJobRequest.newBuilder().setJobId(jobId).build());
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  @Test
  void finishedJob_expiresAfterTheRetention_withItsImagesAndRequestId() {
    assertThat(config.redis().jobRetention()).isEqualTo(Duration.parse(RetentionProfile.RETENTION));
    GenerateRequest request =
        GenerateRequest.newBuilder()
            .setPrompt("a red circle")
            .setRequestId(UUID.randomUUID().toString())
            .build();
    String jobId = blocking.submit(request).getJobId();
    stages.runToSuccess(jobId, 1);
    assertThat(blocking.getJob(GetJobRequest.newBuilder().setJobId(jobId).build()).getState())
        .isEqualTo(JobState.SUCCEEDED);

    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> getJobStatus(jobId) == Status.Code.NOT_FOUND);

    assertThat(stages.redis.exists(RedisKeys.png(jobId, 0))).isFalse();
    // The request id expired with the job: the same request now makes a new job.
    assertThat(blocking.submit(request).getJobId()).isNotEqualTo(jobId);
  }
}
