package t2i.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import org.junit.jupiter.api.Test;
import t2i.v1.JobState;
import t2i.v1.Progress;
import t2i.v1.QueuePosition;

class ProgressBarTest {

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final Instant now = Instant.parse("2026-12-01T12:00:00Z");
  private final ProgressBar bar =
      new ProgressBar(
          new PrintStream(bytes, true, StandardCharsets.UTF_8), InstantSource.fixed(now));

  private String drawn() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aWaitingJob_showsTheStageItWaitsFor_theJobsAhead_andTheTimeLeft() {
    bar.progress(
        Progress.newBuilder()
            .setState(JobState.ENCODING)
            .setQueuePosition(
                QueuePosition.newBuilder()
                    .setStage("diffusion-worker")
                    .setJobsAhead(12)
                    .setEstimatedStart(Timestamp.newBuilder().setSeconds(now.getEpochSecond() + 9)))
            .build());

    assertThat(drawn()).contains("waiting for diffusion-worker: 12 ahead, about 9 s");
  }

  @Test
  void withoutAnEstimate_itShowsOnlyTheJobsAhead() {
    bar.progress(
        Progress.newBuilder()
            .setState(JobState.QUEUED)
            .setQueuePosition(
                QueuePosition.newBuilder().setStage("tokenizer-service").setJobsAhead(3))
            .build());

    assertThat(drawn()).contains("waiting for tokenizer-service: 3 ahead").doesNotContain("about");
  }

  @Test
  void denoising_drawsTheSteps() {
    bar.progress(
        Progress.newBuilder().setState(JobState.DENOISING).setStep(5).setTotalSteps(10).build());

    assertThat(drawn()).contains("denoising", "5/10");
  }
}
