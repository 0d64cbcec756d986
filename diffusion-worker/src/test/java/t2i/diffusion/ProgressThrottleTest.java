package t2i.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Which steps a job reports, driven by a fake clock. */
class ProgressThrottleTest {

  private static final Duration INTERVAL = Duration.ofMillis(250);

  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final ProgressThrottle throttle = new ProgressThrottle(INTERVAL, nanos::get);

  private void advanceMillis(long millis) {
    nanos.addAndGet(Duration.ofMillis(millis).toNanos());
  }

  @Test
  void firstStep_isReported() {
    assertThat(throttle.shouldReport(1, 50)).isTrue();
  }

  @Test
  void stepsWithinTheInterval_areNotReported() {
    throttle.shouldReport(1, 50);

    advanceMillis(100);
    assertThat(throttle.shouldReport(2, 50)).isFalse();
    advanceMillis(149);
    assertThat(throttle.shouldReport(3, 50)).isFalse();
    advanceMillis(1);
    assertThat(throttle.shouldReport(4, 50)).as("a full interval after step 1").isTrue();
    assertThat(throttle.shouldReport(5, 50)).isFalse();
  }

  @Test
  void fastSteps_giveAtMostOneReportPerInterval() {
    List<Integer> reported = new ArrayList<>();
    int total = 95;
    for (int step = 1; step <= total; step++) {
      if (throttle.shouldReport(step, total)) {
        reported.add(step);
      }
      advanceMillis(30);
    }

    // Steps 30 ms apart: the first, then every ninth (270 ms), then the last, only 120 ms later.
    assertThat(reported).containsExactly(1, 10, 19, 28, 37, 46, 55, 64, 73, 82, 91, 95);
  }

  @Test
  void lastStep_isAlwaysReported() {
    throttle.shouldReport(1, 3);
    throttle.shouldReport(2, 3);

    assertThat(throttle.shouldReport(3, 3)).isTrue();
    assertThat(throttle.shouldReport(3, 3)).as("even twice, even at once").isTrue();
  }

  @Test
  void singleStepJob_reportsItsOnlyStep() {
    assertThat(throttle.shouldReport(1, 1)).isTrue();
  }

  @Test
  void slowSteps_areAllReported() {
    for (int step = 1; step <= 5; step++) {
      assertThat(throttle.shouldReport(step, 5)).as("step %d", step).isTrue();
      advanceMillis(INTERVAL.toMillis());
    }
  }
}
