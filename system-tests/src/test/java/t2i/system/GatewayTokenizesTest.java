package t2i.system;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import t2i.client.Channels;
import t2i.client.GenerateClient;
import t2i.client.Generation;
import t2i.client.ProgressListener;
import t2i.launcher.LocalCluster;
import t2i.v1.GenerateRequest;
import t2i.v1.Image;
import t2i.v1.JobState;
import t2i.v1.StateTransition;

/**
 * A gateway that queues jobs tokenized ({@code t2i.gateway.publish-tokenized}) skips the tokenizer
 * service's hop and gives the same images as one that does not.
 */
@ExtendWith(SharedCluster.class)
class GatewayTokenizesTest {

  private static final Duration WAIT = Duration.ofMinutes(3);

  private static ManagedChannel viaTokenizer;
  private static ManagedChannel tokenizedHere;

  @BeforeAll
  static void startTokenizingGateway(LocalCluster shared) throws Exception {
    String tokenizing = shared.addGateway(Map.of("t2i.gateway.publish-tokenized", "true"));
    viaTokenizer = Channels.open(shared.gatewayAddress());
    tokenizedHere = Channels.open(tokenizing);
  }

  @AfterAll
  static void disconnect() throws InterruptedException {
    for (ManagedChannel channel : new ManagedChannel[] {viaTokenizer, tokenizedHere}) {
      if (channel != null) {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aJobQueuedTokenized_neverVisitsTheTokenizer_andGivesTheSameImages() {
    // Weights, a negative prompt and two windows: every part of what tokenizing hands on.
    GenerateRequest request =
        GenerateRequest.newBuilder()
            .setPrompt(
                "a (red:1.4) circle at the top left, " + "on a white background, ".repeat(16))
            .setNegativePrompt("blurry")
            .setSteps(4)
            .setSeed(77)
            .build();

    Generation direct =
        new GenerateClient(tokenizedHere).generate(request, WAIT, ProgressListener.NONE);
    Generation usual =
        new GenerateClient(viaTokenizer).generate(request, WAIT, ProgressListener.NONE);

    assertThat(direct.job().getState()).isEqualTo(JobState.SUCCEEDED);
    assertThat(direct.job().getTransitionsList())
        .extracting(StateTransition::getState)
        .containsExactly(
            JobState.QUEUED, JobState.ENCODING, JobState.DENOISING, JobState.SUCCEEDED);
    assertThat(usual.job().getTransitionsList())
        .extracting(StateTransition::getState)
        .contains(JobState.TOKENIZING);
    assertThat(direct.images())
        .extracting(Image::getPng)
        .containsExactlyElementsOf(usual.images().stream().map(Image::getPng).toList());
  }
}
