package t2i.diffusion;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Decides which denoising steps of one job are reported, so a fast model cannot flood the events
 * topic: at most one report per interval, and always the last step. Not thread-safe: one per job.
 */
final class ProgressThrottle {

  private final long intervalNanos;
  private final LongSupplier nanoTime;
  private long lastReport;
  private boolean reported;

  ProgressThrottle(Duration interval, LongSupplier nanoTime) {
    this.intervalNanos = interval.toNanos();
    this.nanoTime = nanoTime;
  }

  boolean shouldReport(int step, int totalSteps) {
    long now = nanoTime.getAsLong();
    if (step >= totalSteps || !reported || now - lastReport >= intervalNanos) {
      lastReport = now;
      reported = true;
      return true;
    }
    return false;
  }
}
