package t2i.diffusion;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;
import org.jspecify.annotations.Nullable;
import t2i.diffusion.image.PngEncoder;
import t2i.pipeline.job.JobTracker;
import t2i.v1.Preview;

/**
 * Writes denoising progress (Redis, then an event) on a thread of its own, so that the UNet thread
 * never waits for Redis or Kafka. Progress is best effort: only each job's latest step is kept
 * (bounded by the jobs in flight), and a write that fails is dropped, not retried; the next step or
 * the job's outcome supersedes it. Previews likewise: only each job's latest is kept, and it is
 * PNG-encoded here, off the UNet thread. Owns its thread.
 */
final class ProgressReporter implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(ProgressReporter.class);

  private record Step(int step, int total) {}

  private record Picture(int step, int total, ByteString rgb, int width, int height) {}

  private final JobTracker tracker;
  private final Map<String, Step> latest = new ConcurrentHashMap<>();
  private final Map<String, Picture> previews = new ConcurrentHashMap<>();
  private final Semaphore signal = new Semaphore(0);
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Thread writer;
  private volatile boolean failing;

  ProgressReporter(JobTracker tracker) {
    this.tracker = tracker;
    this.writer = Thread.ofPlatform().name("progress").daemon(true).start(this::writeLoop);
  }

  /** Notes a job's progress; returns at once. Any thread. */
  void report(String jobId, int step, int total) {
    latest.put(jobId, new Step(step, total));
    signal.release();
  }

  /** Notes a preview of a job's latent (interleaved RGB bytes); returns at once. Any thread. */
  void preview(String jobId, int step, int total, byte[] rgb, int width, int height) {
    previews.put(jobId, new Picture(step, total, ByteString.copyFrom(rgb), width, height));
    signal.release();
  }

  private void writeLoop() {
    try {
      while (!closed.get()) {
        if (!signal.tryAcquire(100, TimeUnit.MILLISECONDS)) {
          continue;
        }
        signal.drainPermits();
        List<String> jobs = new ArrayList<>(latest.keySet());
        for (String jobId : jobs) {
          Step step = latest.remove(jobId);
          if (step != null) {
            write(jobId, step);
          }
        }
        for (String jobId : new ArrayList<>(previews.keySet())) {
          Picture picture = previews.remove(jobId);
          if (picture != null) {
            write(jobId, picture);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void write(String jobId, Step step) {
    try {
      // noteOutcome() hears every outcome; the future whenComplete() returns only repeats it.
      CompletableFuture<?> unused =
          tracker
              .progress(jobId, step.step(), step.total())
              .whenComplete((ok, error) -> noteOutcome(error));
    } catch (RuntimeException e) {
      noteOutcome(e);
    }
  }

  private void write(String jobId, Picture picture) {
    try {
      Preview preview =
          Preview.newBuilder()
              .setStep(picture.step())
              .setTotalSteps(picture.total())
              .setWidth(picture.width())
              .setHeight(picture.height())
              .setPng(
                  ByteString.copyFrom(
                      PngEncoder.encodeRgb(
                          picture.rgb().toByteArray(), picture.width(), picture.height())))
              .build();
      CompletableFuture<?> unused =
          tracker.preview(jobId, preview).whenComplete((ok, error) -> noteOutcome(error));
    } catch (RuntimeException e) {
      noteOutcome(e);
    }
  }

  private void noteOutcome(@Nullable Throwable error) {
    if (error != null && !failing) {
      failing = true;
      LOG.warnf("Progress could not be recorded (%s); dropping progress until it can", error);
    } else if (error == null && failing) {
      failing = false;
      LOG.info("Progress is recorded again");
    }
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      try {
        writer.join(2_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
