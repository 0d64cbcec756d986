package t2i.client;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import t2i.v1.GenerateRequest;
import t2i.v1.Image;
import t2i.v1.JobState;
import t2i.v1.Progress;
import t2i.v1.QueuePosition;

/** Draws a job's progress on one terminal line (stderr), redrawn in place. */
public final class ProgressBar implements ProgressListener {

  private static final int WIDTH = 30;

  private final PrintStream out;
  private final InstantSource clock;
  private int images;

  public ProgressBar(PrintStream out) {
    this(out, InstantSource.system());
  }

  ProgressBar(PrintStream out, InstantSource clock) {
    this.out = out;
    this.clock = clock;
  }

  @Override
  public void accepted(String jobId, GenerateRequest effective) {
    out.printf(
        "job %s: %dx%d, %d steps, guidance %.1f, seed %d, model %s%n",
        jobId,
        effective.getWidth(),
        effective.getHeight(),
        effective.getSteps(),
        effective.getGuidanceScale(),
        effective.getSeed(),
        effective.getModel());
    draw("queued", 0, 0);
  }

  @Override
  public void progress(Progress progress) {
    if (progress.getState() == JobState.DENOISING && progress.getTotalSteps() > 0) {
      draw("denoising", progress.getStep(), progress.getTotalSteps());
    } else if (progress.hasQueuePosition()) {
      draw(waiting(progress.getQueuePosition()), 0, 0);
    } else {
      draw(progress.getState().name().toLowerCase(java.util.Locale.ROOT), 0, 0);
    }
  }

  @Override
  public void image(Image image) {
    images++;
    draw("images " + images, 1, 1);
  }

  @Override
  public void finished() {
    out.println();
    out.flush();
  }

  /** "waiting for diffusion-worker: 12 ahead, about 9 s". */
  private String waiting(QueuePosition position) {
    StringBuilder label =
        new StringBuilder("waiting for ")
            .append(position.getStage())
            .append(": ")
            .append(position.getJobsAhead())
            .append(" ahead");
    if (position.hasEstimatedStart()) {
      Instant start =
          Instant.ofEpochSecond(
              position.getEstimatedStart().getSeconds(), position.getEstimatedStart().getNanos());
      long seconds = Math.max(0, Duration.between(clock.instant(), start).toSeconds());
      label.append(", about ").append(seconds).append(" s");
    }
    return label.toString();
  }

  private void draw(String label, int done, int total) {
    int filled = total == 0 ? 0 : (int) ((long) WIDTH * done / total);
    String bar = "#".repeat(filled) + "-".repeat(WIDTH - filled);
    String count = total == 0 ? "" : String.format(" %d/%d", done, total);
    out.printf("\r[%s] %-12s%s   ", bar, label, count);
    out.flush();
  }
}
