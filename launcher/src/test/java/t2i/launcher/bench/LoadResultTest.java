package t2i.launcher.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import org.junit.jupiter.api.Test;
import t2i.v1.Job;
import t2i.v1.JobState;
import t2i.v1.StateTransition;

class LoadResultTest {

  private static StateTransition at(JobState state, long millis) {
    return StateTransition.newBuilder()
        .setState(state)
        .setAt(
            Timestamp.newBuilder()
                .setSeconds(millis / 1000)
                .setNanos((int) (millis % 1000) * 1_000_000))
        .build();
  }

  @Test
  void eachHop_isTimedFromTheJobsOwnTransitions_andFailuresAreCountedByStatus() {
    LoadResult result = new LoadResult();
    Job job =
        Job.newBuilder()
            .setState(JobState.SUCCEEDED)
            .addTransitions(at(JobState.QUEUED, 1_000))
            .addTransitions(at(JobState.TOKENIZING, 1_010))
            .addTransitions(at(JobState.ENCODING, 1_030))
            .addTransitions(at(JobState.DENOISING, 1_060))
            .addTransitions(at(JobState.SUCCEEDED, 1_100))
            .build();

    result.sent();
    result.sent();
    result.succeeded(120_000, job);
    result.failed("RESOURCE_EXHAUSTED QUEUE_FULL");
    String report = result.render(1.0);

    assertThat(report)
        .contains("2 sent, 1 succeeded (1.0/s), 1 failed")
        // HdrHistogram keeps three significant digits.
        .containsPattern("end to end\\s+p50 +120\\.[01] ms")
        .containsPattern("queued->tokenizing\\s+p50 +10\\.0 ms")
        .containsPattern("tokenizing->encoding\\s+p50 +20\\.0 ms")
        .containsPattern("encoding->denoising\\s+p50 +30\\.0 ms")
        .containsPattern("denoising->succeeded\\s+p50 +40\\.0 ms")
        .contains("RESOURCE_EXHAUSTED QUEUE_FULL");
  }

  @Test
  void aJobThatSkipsAState_isTimedFromTheStateBeforeIt() {
    LoadResult result = new LoadResult();
    // Queued tokenized by the gateway: no TOKENIZING.
    Job job =
        Job.newBuilder()
            .setState(JobState.SUCCEEDED)
            .addTransitions(at(JobState.QUEUED, 1_000))
            .addTransitions(at(JobState.ENCODING, 1_015))
            .addTransitions(at(JobState.DENOISING, 1_060))
            .addTransitions(at(JobState.SUCCEEDED, 1_100))
            .build();

    result.sent();
    result.succeeded(120_000, job);
    String report = result.render(1.0);

    assertThat(report)
        .containsPattern("queued->encoding\\s+p50 +15\\.0 ms")
        .doesNotContain("tokenizing")
        .containsSubsequence("queued->encoding", "encoding->denoising", "denoising->succeeded");
  }
}
