package t2i.client;

import java.io.PrintStream;
import t2i.v1.GenerateRequest;
import t2i.v1.Image;
import t2i.v1.JobState;
import t2i.v1.Progress;

/** Draws a job's progress on one terminal line (stderr), redrawn in place. */
public final class ProgressBar implements ProgressListener {

  private static final int WIDTH = 30;

  private final PrintStream out;
  private int images;

  public ProgressBar(PrintStream out) {
    this.out = out;
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

  private void draw(String label, int done, int total) {
    int filled = total == 0 ? 0 : (int) ((long) WIDTH * done / total);
    String bar = "#".repeat(filled) + "-".repeat(WIDTH - filled);
    String count = total == 0 ? "" : String.format(" %d/%d", done, total);
    out.printf("\r[%s] %-12s%s   ", bar, label, count);
    out.flush();
  }
}
