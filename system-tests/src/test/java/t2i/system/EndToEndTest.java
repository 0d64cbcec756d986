package t2i.system;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import t2i.client.Channels;
import t2i.client.GenerateClient;
import t2i.client.Generation;
import t2i.client.ProgressListener;
import t2i.launcher.LocalCluster;
import t2i.launcher.Main;
import t2i.v1.GenerateRequest;
import t2i.v1.GetJobRequest;
import t2i.v1.Image;
import t2i.v1.Job;
import t2i.v1.JobState;
import t2i.v1.TextToImageGrpc;

/**
 * The whole system as it is deployed: a real broker and Redis, and the services as separate
 * processes started from their packaged builds, exercised through the public gRPC API.
 */
@ExtendWith(SharedCluster.class)
class EndToEndTest {

  private static LocalCluster cluster;
  private static ManagedChannel channel;

  @BeforeAll
  static void connect(LocalCluster shared) {
    cluster = shared;
    channel = Channels.open(cluster.gatewayAddress());
  }

  @AfterAll
  static void disconnect() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static BufferedImage decode(Image image) throws IOException {
    BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(image.getPng().toByteArray()));
    assertThat(decoded).as("a decodable PNG").isNotNull();
    return decoded;
  }

  @Test
  void generate_returnsDecodablePngsOfTheRequestedSize_andGetJobReturnsTheSameImages()
      throws IOException {
    GenerateRequest request =
        GenerateRequest.newBuilder()
            .setPrompt("a red circle at the top left on a white background")
            .setNegativePrompt("blurry")
            .setWidth(96)
            .setHeight(64)
            .setSteps(6)
            .setSeed(1234)
            .setCount(2)
            .build();

    Generation generation =
        new GenerateClient(channel).generate(request, Duration.ofMinutes(3), ProgressListener.NONE);

    assertThat(generation.job().getState()).isEqualTo(JobState.SUCCEEDED);
    assertThat(generation.images()).hasSize(2);
    for (Image image : generation.images()) {
      BufferedImage decoded = decode(image);
      assertThat(decoded.getWidth()).isEqualTo(96);
      assertThat(decoded.getHeight()).isEqualTo(64);
    }
    assertThat(generation.images()).extracting(Image::getSeed).containsExactly(1234L, 1235L);

    Job job =
        TextToImageGrpc.newBlockingStub(channel)
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .getJob(GetJobRequest.newBuilder().setJobId(generation.jobId()).build());
    assertThat(job.getState()).isEqualTo(JobState.SUCCEEDED);
    assertThat(job.getImagesList())
        .extracting(Image::getPng)
        .containsExactlyElementsOf(generation.images().stream().map(Image::getPng).toList());
  }

  @Test
  void sameRequestAndSeed_givesTheSamePngBytes_whateverRunsBesideIt() {
    GenerateClient client = new GenerateClient(channel);
    GenerateRequest target =
        GenerateRequest.newBuilder()
            .setPrompt("a green triangle on the left on a black background")
            .setSteps(8)
            .setSeed(77)
            .build();
    byte[] alone =
        client
            .generate(target, Duration.ofMinutes(3), ProgressListener.NONE)
            .images()
            .getFirst()
            .getPng()
            .toByteArray();

    // The same request again, now sharing the UNet with other jobs submitted at the same time.
    List<CompletableFuture<Generation>> together = new ArrayList<>();
    together.add(
        CompletableFuture.supplyAsync(
            () -> client.generate(target, Duration.ofMinutes(3), ProgressListener.NONE)));
    for (int i = 0; i < 3; i++) {
      GenerateRequest other =
          target.toBuilder()
              .setPrompt("a purple circle " + i)
              .setSeed(1000 + i)
              .setCount(2)
              .build();
      together.add(
          CompletableFuture.supplyAsync(
              () -> client.generate(other, Duration.ofMinutes(3), ProgressListener.NONE)));
    }

    byte[] shared = together.getFirst().join().images().getFirst().getPng().toByteArray();
    together.forEach(CompletableFuture::join);
    assertThat(shared).isEqualTo(alone);
  }

  @Test
  void generateCommand_writesThePngFile(@TempDir Path dir) throws IOException {
    Path out = dir.resolve("out/picture.png");

    int exit =
        Main.run(
            "generate",
            "--server",
            cluster.gatewayAddress(),
            "a blue square in the center on a gray background",
            "--steps",
            "3",
            "--out",
            out.toString());

    assertThat(exit).isZero();
    BufferedImage decoded = ImageIO.read(Files.newInputStream(out));
    assertThat(decoded.getWidth()).isEqualTo(64);
  }

  @Test
  void generateCommand_badRequest_exitsNonZeroWithoutWritingAFile(@TempDir Path dir) {
    Path out = dir.resolve("never.png");

    int exit =
        Main.run(
            "generate",
            "--server",
            cluster.gatewayAddress(),
            "x",
            "--width",
            "100",
            "--out",
            out.toString());

    assertThat(exit).isEqualTo(1);
    assertThat(out).doesNotExist();
  }
}
