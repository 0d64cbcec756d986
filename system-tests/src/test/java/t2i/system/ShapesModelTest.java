package t2i.system;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import t2i.client.Channels;
import t2i.client.GenerateClient;
import t2i.launcher.LocalCluster;
import t2i.launcher.shapes.ShapesDomain;
import t2i.launcher.shapes.ShapesEvaluation;
import t2i.launcher.shapes.ShapesEvaluation.Result;

/**
 * The demo model draws what its prompts say, through the real services: the strongest end-to-end
 * check there is, since a mistake in any stage (tokenizer, encoder, scheduler, guidance, VAE, PNG)
 * makes the pictures stop matching the prompts.
 */
@ExtendWith(SharedCluster.class)
class ShapesModelTest {

  private static ManagedChannel channel;

  @BeforeAll
  static void connect(LocalCluster cluster) {
    channel = Channels.open(cluster.gatewayAddress());
  }

  @AfterAll
  static void disconnect() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void evaluationPrompts_areDrawnFaithfully_withSeedsNotUsedInTraining() throws Exception {
    ShapesDomain domain =
        ShapesDomain.load(Path.of(System.getProperty("repo.root"), "models", "shapes"));

    Result result =
        ShapesEvaluation.run(
            new GenerateClient(channel),
            domain,
            domain.evaluationSet(),
            "shapes",
            10_000,
            25,
            6f,
            8,
            Duration.ofMinutes(5));

    Map<String, Double> accuracy = result.accuracy();
    assertThat(result.rows()).hasSize(54);
    assertThat(accuracy.get("color")).as("colour accuracy").isGreaterThanOrEqualTo(0.95);
    assertThat(accuracy.get("background")).as("background accuracy").isGreaterThanOrEqualTo(0.95);
    assertThat(accuracy.get("position")).as("position accuracy").isGreaterThanOrEqualTo(0.90);
    assertThat(accuracy.get("shape")).as("shape accuracy").isGreaterThanOrEqualTo(0.80);
  }
}
