package t2i.system;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import t2i.client.Channels;
import t2i.launcher.LocalCluster;
import t2i.launcher.Service;
import t2i.v1.GenerateRequest;
import t2i.v1.GetJobRequest;
import t2i.v1.Job;
import t2i.v1.JobState;
import t2i.v1.TextToImageGrpc;

/**
 * On SIGTERM, as Kubernetes sends it, a worker stops taking jobs, finishes or hands back what it
 * holds within its grace, commits, and exits 0; nothing it held is lost.
 */
@ExtendWith(SharedCluster.class)
class GracefulShutdownTest {

  private static final Duration GRACE = Duration.ofSeconds(90);

  private static LocalCluster cluster;
  private static ManagedChannel channel;

  @BeforeAll
  static void connect(LocalCluster shared) {
    cluster = shared;
    channel = Channels.open(cluster.gatewayAddress());
  }

  @AfterAll
  static void disconnect() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void aDiffusionWorkerStoppedWithJobsInHand_exitsZeroInTime_andEveryJobStillSucceeds()
      throws Exception {
    TextToImageGrpc.TextToImageBlockingStub stub = TextToImageGrpc.newBlockingStub(channel);
    List<String> jobs = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      jobs.add(
          stub.submit(
                  GenerateRequest.newBuilder()
                      .setPrompt("a green triangle in the center on a black background")
                      .setWidth(128)
                      .setHeight(128)
                      .setSteps(40)
                      .setSeed(i)
                      .build())
              .getJobId());
    }
    String worker = cluster.instances(Service.DIFFUSION).getFirst();
    awaitAnyDenoising(stub, jobs);

    long started = System.nanoTime();
    int status = cluster.terminate(worker, GRACE);
    Duration took = Duration.ofNanos(System.nanoTime() - started);

    assertThat(status).as("exit status after SIGTERM").isZero();
    assertThat(took).isLessThan(GRACE);
    assertThat(Files.readString(cluster.log(worker), StandardCharsets.UTF_8))
        .contains("got SIGTERM: stopping in order")
        .contains("stopped in");

    cluster.restart(worker);
    for (String jobId : jobs) {
      assertThat(awaitEnd(stub, jobId).getState()).isEqualTo(JobState.SUCCEEDED);
    }
  }

  private static void awaitAnyDenoising(
      TextToImageGrpc.TextToImageBlockingStub stub, List<String> jobs) throws InterruptedException {
    long until = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (System.nanoTime() < until) {
      for (String jobId : jobs) {
        if (stub.getJob(GetJobRequest.newBuilder().setJobId(jobId).build()).getState()
            == JobState.DENOISING) {
          return;
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no job started denoising");
  }

  private static Job awaitEnd(TextToImageGrpc.TextToImageBlockingStub stub, String jobId)
      throws InterruptedException {
    long until = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    @Nullable Job job = null;
    while (System.nanoTime() < until) {
      job = stub.getJob(GetJobRequest.newBuilder().setJobId(jobId).build());
      if (job.getState() == JobState.SUCCEEDED
          || job.getState() == JobState.FAILED
          || job.getState() == JobState.EXPIRED
          || job.getState() == JobState.CANCELLED) {
        return job;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("job " + jobId + " did not end within 3 minutes; last seen: " + job);
  }
}
