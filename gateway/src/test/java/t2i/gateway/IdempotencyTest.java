package t2i.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import t2i.local.LocalStackTestResource;
import t2i.local.TopicProbe;
import t2i.pipeline.job.RedisKeys;
import t2i.pipeline.v1.JobSubmitted;
import t2i.v1.GenerateEvent;
import t2i.v1.GenerateRequest;
import t2i.v1.JobState;
import t2i.v1.TextToImageGrpc;

/** A client-chosen request id makes a retried Submit or Generate return the first job. */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class IdempotencyTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final byte[] FENCE = "fence".getBytes(StandardCharsets.UTF_8);

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

  private static GenerateRequest request(String requestId) {
    return GenerateRequest.newBuilder().setPrompt("a red circle").setRequestId(requestId).build();
  }

  /**
   * Everything published under the job's key up to a fence record the test appends: records with
   * one key share a partition, so any duplicate acknowledged earlier comes before the fence.
   */
  private List<byte[]> publishedUpToFence(TopicProbe probe, String jobId) throws Exception {
    stages.producer.send(new ProducerRecord<>(config.kafka().topics().jobs(), jobId, FENCE)).get();
    int count = 1;
    while (true) {
      List<byte[]> values = probe.awaitValues(jobId, count, WAIT);
      if (Arrays.equals(values.getLast(), FENCE)) {
        return values.subList(0, values.size() - 1);
      }
      count = values.size() + 1;
    }
  }

  @Test
  void submit_retriedWithTheSameRequestId_returnsTheSameJob_publishedOnce() throws Exception {
    String requestId = UUID.randomUUID().toString();
    try (TopicProbe jobs =
        TopicProbe.open(config.kafka().bootstrapServers(), config.kafka().topics().jobs())) {
      String first = blocking.submit(request(requestId)).getJobId();
      String second = blocking.submit(request(requestId)).getJobId();
      String third = blocking.submit(request(requestId)).getJobId();

      assertThat(second).isEqualTo(first);
      assertThat(third).isEqualTo(first);
      List<byte[]> published = publishedUpToFence(jobs, first);
      assertThat(published).hasSize(1);
      assertThat(JobSubmitted.parseFrom(published.getFirst()).getSpec().getRequest().getRequestId())
          .isEqualTo(requestId);
    }
  }

  @Test
  void aRetry_queuesTheJobItsFirstAttemptRecordedButNeverQueued() throws Exception {
    String requestId = UUID.randomUUID().toString();
    try (TopicProbe jobs =
        TopicProbe.open(config.kafka().bootstrapServers(), config.kafka().topics().jobs())) {
      String first = blocking.submit(request(requestId)).getJobId();
      // As if the first attempt's gateway had stopped between recording and queuing the job.
      stages.redis.hdel(RedisKeys.job(first), "published");

      String retried = blocking.submit(request(requestId)).getJobId();

      assertThat(retried).isEqualTo(first);
      assertThat(publishedUpToFence(jobs, first)).hasSize(2);
      assertThat(stages.store.find(first).orElseThrow().published()).isTrue();
    }
  }

  @Test
  void submit_retryWithoutASeed_isTheSameRequestAlthoughTheFirstDrewOne() {
    String requestId = UUID.randomUUID().toString();
    String first = blocking.submit(request(requestId)).getJobId();

    assertThat(blocking.submit(request(requestId)).getJobId()).isEqualTo(first);
  }

  @Test
  void generate_retriedWithTheSameRequestId_streamsTheFirstJob() {
    String requestId = UUID.randomUUID().toString();
    String jobId = blocking.submit(request(requestId)).getJobId();
    stages.runToSuccess(jobId, 1);

    List<GenerateEvent> events = new ArrayList<>();
    blocking.generate(request(requestId)).forEachRemaining(events::add);

    assertThat(events.getFirst().getAccepted().getJobId()).isEqualTo(jobId);
    assertThat(events).filteredOn(GenerateEvent::hasImage).hasSize(1);
    assertThat(events.getLast().getCompleted().getJob().getState()).isEqualTo(JobState.SUCCEEDED);
  }

  @Test
  void sameRequestId_forADifferentRequest_isInvalid() {
    String requestId = UUID.randomUUID().toString();
    String jobId = blocking.submit(request(requestId)).getJobId();

    assertThatThrownBy(
            () ->
                blocking.submit(request(requestId).toBuilder().setPrompt("a blue square").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription())
                  .contains(requestId, jobId, "different request");
            });
  }

  @Test
  void invalidRequest_doesNotUseUpItsRequestId() {
    String requestId = UUID.randomUUID().toString();
    assertThatThrownBy(() -> blocking.submit(request(requestId).toBuilder().setSteps(-1).build()))
        .isInstanceOf(StatusRuntimeException.class);

    String jobId = blocking.submit(request(requestId)).getJobId();

    assertThat(stages.store.find(jobId)).isPresent();
  }

  @Test
  void overlongRequestId_isInvalid() {
    assertThatThrownBy(() -> blocking.submit(request("r".repeat(129))))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains("request_id", "128");
            });
  }
}
