package t2i.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Channel;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import t2i.local.LocalStackTestResource;
import t2i.local.TopicProbe;
import t2i.pipeline.job.JobView;
import t2i.pipeline.job.QueuePlace;
import t2i.pipeline.v1.TokenChunk;
import t2i.pipeline.v1.TokenizedJob;
import t2i.v1.GenerateRequest;
import t2i.v1.JobState;
import t2i.v1.SubmitResponse;
import t2i.v1.TextToImageGrpc;
import t2i.v1.TokenInfo;
import t2i.v1.TokenizeRequest;
import t2i.v1.TokenizeResponse;

/**
 * A gateway set to queue jobs tokenized ({@code t2i.gateway.publish-tokenized}) hands them straight
 * to the text encoders, as the tokenizer service would have.
 */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
@TestProfile(PublishTokenizedTest.Tokenized.class)
class PublishTokenizedTest {

  /** The gateway queues jobs tokenized. */
  public static class Tokenized implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("t2i.gateway.publish-tokenized", "true");
    }
  }

  private static final Duration WAIT = Duration.ofSeconds(30);

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

  @Test
  void submit_queuesTheJobTokenized_onTheEncodersTopic() throws Exception {
    String prompt = "a (red:1.5) circle";
    try (TopicProbe tokenized =
        TopicProbe.open(config.kafka().bootstrapServers(), config.kafka().topics().tokenized())) {
      SubmitResponse response =
          blocking.submit(
              GenerateRequest.newBuilder().setPrompt(prompt).setNegativePrompt("blurry").build());

      TokenizedJob job = TokenizedJob.parseFrom(tokenized.awaitValue(response.getJobId(), WAIT));
      assertThat(job.getSpec().getJobId()).isEqualTo(response.getJobId());
      assertThat(job.getSpec().getRequest().getModel()).isEqualTo("tiny-random");
      // The same tokens as the gateway's Tokenize shows, in the same places, with their weights.
      TokenizeResponse expected =
          blocking.tokenize(TokenizeRequest.newBuilder().setPrompt(prompt).build());
      assertThat(job.getPrompt().getChunksCount()).isEqualTo(expected.getChunkCount());
      TokenChunk window = job.getPrompt().getChunks(0);
      assertThat(window.getIdsCount()).isEqualTo(expected.getWindow());
      for (TokenInfo token : expected.getTokensList()) {
        assertThat(window.getIds(token.getPosition())).isEqualTo(token.getId());
        assertThat(window.getWeights(token.getPosition())).isEqualTo(token.getWeight());
      }
      assertThat(expected.getTokensList()).anyMatch(token -> token.getWeight() == 1.5f);
      // The negative prompt encodes to as many windows as the prompt.
      assertThat(job.getNegativePrompt().getChunksCount()).isEqualTo(1);
      assertThat(job.getNegativePrompt().getChunks(0).getIdsCount())
          .isEqualTo(expected.getWindow());

      // The record says the job waits, queued, on the encoders' topic: where queue positions and
      // the encoder's gate look for it.
      await()
          .atMost(WAIT)
          .untilAsserted(
              () ->
                  assertThat(stages.store.find(response.getJobId()).flatMap(JobView::waitingIn))
                      .map(QueuePlace::topic)
                      .contains(config.kafka().topics().tokenized()));
      assertThat(stages.store.state(response.getJobId())).contains(JobState.QUEUED);
    }
  }
}
