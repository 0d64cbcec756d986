package t2i.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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
import t2i.v1.CancelRequest;
import t2i.v1.GenerateEvent;
import t2i.v1.GenerateRequest;
import t2i.v1.GetJobRequest;
import t2i.v1.Image;
import t2i.v1.Job;
import t2i.v1.JobState;
import t2i.v1.TextToImageGrpc;
import t2i.v1.WatchJobRequest;

/**
 * Two gateway processes in front of one pipeline: a job belongs to no replica, so either one
 * watches, fetches and cancels it, whichever accepted it; and a Generate stream is completed by the
 * replica that holds it while the other watches the same job.
 */
@ExtendWith(SharedCluster.class)
class GatewayReplicasTest {

  private static final Duration WAIT = Duration.ofMinutes(3);

  private static LocalCluster cluster;
  private static ManagedChannel replicaA;
  private static ManagedChannel replicaB;

  @BeforeAll
  static void startSecondReplica(LocalCluster shared) throws Exception {
    cluster = shared;
    String second = cluster.addGateway(Map.of());
    replicaA = Channels.open(cluster.gatewayAddress());
    replicaB = Channels.open(second);
  }

  @AfterAll
  static void disconnect() throws InterruptedException {
    for (ManagedChannel channel : new ManagedChannel[] {replicaA, replicaB}) {
      if (channel != null) {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  private static TextToImageGrpc.TextToImageBlockingStub blocking(ManagedChannel channel) {
    return TextToImageGrpc.newBlockingStub(channel).withDeadlineAfter(3, TimeUnit.MINUTES);
  }

  /** Collects a WatchJob stream. */
  private static final class Watch implements StreamObserver<GenerateEvent> {
    final List<GenerateEvent> events = new CopyOnWriteArrayList<>();
    final AtomicReference<Status> end = new AtomicReference<>();

    @Override
    public void onNext(GenerateEvent event) {
      events.add(event);
    }

    @Override
    public void onError(Throwable t) {
      end.set(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      end.set(Status.OK);
    }

    Status awaitEnd() {
      await().atMost(WAIT).until(() -> end.get() != null);
      return Objects.requireNonNull(end.get());
    }
  }

  private static Watch watch(ManagedChannel channel, String jobId) {
    Watch watch = new Watch();
    TextToImageGrpc.newStub(channel)
        .withDeadlineAfter(3, TimeUnit.MINUTES)
        .watchJob(WatchJobRequest.newBuilder().setJobId(jobId).build(), watch);
    return watch;
  }

  @Test
  void jobSubmittedOnOneReplica_isWatchedFetchedAndCancelledOnTheOther() {
    // Long enough that the cancellation surely comes first.
    String jobId =
        blocking(replicaA)
            .submit(
                GenerateRequest.newBuilder()
                    .setPrompt("a red circle at the top left on a white background")
                    .setSteps(150)
                    .setCount(4)
                    .setWidth(256)
                    .setHeight(256)
                    .build())
            .getJobId();

    Watch onB = watch(replicaB, jobId);
    await().atMost(WAIT).until(() -> !onB.events.isEmpty());
    assertThat(onB.events.getFirst().hasProgress()).isTrue();
    assertThat(
            blocking(replicaB)
                .getJob(GetJobRequest.newBuilder().setJobId(jobId).build())
                .getJobId())
        .isEqualTo(jobId);

    Job cancelled = blocking(replicaB).cancel(CancelRequest.newBuilder().setJobId(jobId).build());

    assertThat(cancelled.getState()).isEqualTo(JobState.CANCELLED);
    assertThat(onB.awaitEnd().getCode()).isEqualTo(Status.Code.CANCELLED);
    Job onA = blocking(replicaA).getJob(GetJobRequest.newBuilder().setJobId(jobId).build());
    assertThat(onA.getState()).isEqualTo(JobState.CANCELLED);
    assertThat(onA.getReason()).isEqualTo(cancelled.getReason()).isNotEmpty();
  }

  @Test
  void generateStreamOnOneReplica_completesWhileTheOtherWatchesTheSameJob() {
    AtomicReference<Watch> onB = new AtomicReference<>();
    GenerateRequest request =
        GenerateRequest.newBuilder()
            .setPrompt("a blue square in the center on a gray background")
            .setSteps(4)
            .setSeed(7)
            .setCount(2)
            .build();

    Generation onA =
        new GenerateClient(replicaA)
            .generate(
                request,
                WAIT,
                new ProgressListener() {
                  @Override
                  public void accepted(String jobId, GenerateRequest effective) {
                    onB.set(watch(replicaB, jobId));
                  }
                });

    assertThat(onA.job().getState()).isEqualTo(JobState.SUCCEEDED);
    assertThat(onA.images()).hasSize(2);
    Watch watch = Objects.requireNonNull(onB.get());
    assertThat(watch.awaitEnd().getCode()).isEqualTo(Status.Code.OK);
    assertThat(
            watch.events.stream().filter(GenerateEvent::hasImage).map(e -> e.getImage().getPng()))
        .containsExactlyInAnyOrderElementsOf(onA.images().stream().map(Image::getPng).toList());
    Job fetchedOnB =
        blocking(replicaB).getJob(GetJobRequest.newBuilder().setJobId(onA.jobId()).build());
    assertThat(fetchedOnB.getImagesList())
        .extracting(Image::getPng)
        .containsExactlyElementsOf(onA.images().stream().map(Image::getPng).toList());
  }

  @Test
  void retryOnTheOtherReplica_withTheSameRequestId_returnsTheSameJob() {
    GenerateRequest request =
        GenerateRequest.newBuilder()
            .setPrompt("a green triangle")
            .setSteps(2)
            .setRequestId(UUID.randomUUID().toString())
            .build();

    String first = blocking(replicaA).submit(request).getJobId();
    String retried = blocking(replicaB).submit(request).getJobId();

    assertThat(retried).isEqualTo(first);
  }

  @Test
  void apiKeyMintedByTheLauncher_letsTheGenerateCommandThrough(@TempDir Path dir) throws Exception {
    String[] minted = run("api-key", "demo-team").lines().toArray(String[]::new);
    String key = minted[0];
    String setting = minted[1];
    assertThat(setting).startsWith("t2i.gateway.auth.keys=demo-team:");
    String secured =
        cluster.addGateway(
            Map.of(
                "t2i.gateway.auth.enabled",
                "true",
                "t2i.gateway.auth.keys",
                setting.substring(setting.indexOf('=') + 1)));
    Path out = dir.resolve("keyed.png");

    int withoutKey =
        Main.run("generate", "--server", secured, "x", "--steps", "2", "--out", out.toString());
    int withKey =
        Main.run(
            "generate",
            "--server",
            secured,
            "--api-key",
            key,
            "x",
            "--steps",
            "2",
            "--out",
            out.toString());

    assertThat(withoutKey).isEqualTo(1);
    assertThat(withKey).isZero();
    assertThat(out).isNotEmptyFile();
  }

  /** Runs a launcher command and returns what it printed on stdout. */
  private static String run(String... args) {
    PrintStream original = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      assertThat(Main.run(args)).isZero();
    } finally {
      System.setOut(original);
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
