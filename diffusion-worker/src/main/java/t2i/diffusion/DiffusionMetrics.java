package t2i.diffusion;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import t2i.diffusion.engine.EngineSettings;
import t2i.pipeline.telemetry.Buckets;
import t2i.pipeline.telemetry.JobTraces;
import t2i.pipeline.telemetry.Telemetry;

/**
 * The diffusion worker's own meters, each tagged with its engine and device: UNet calls (latency,
 * rows per call, how full the batch was), denoising steps done (their rate is steps per second),
 * jobs that joined a batch already running, the decode queue's depth, and VAE and PNG time. It also
 * notes on each job's span how widely the job's UNet calls were shared. Thread-safe.
 */
final class DiffusionMetrics {

  private static final AttributeKey<Long> WIDEST_CALL_ROWS =
      AttributeKey.longKey("t2i.unet.batch.rows");
  private static final AttributeKey<Long> WIDEST_CALL_JOBS =
      AttributeKey.longKey("t2i.unet.batch.jobs");

  private final MeterRegistry registry;
  private final Tags tags;
  private final Timer unet;
  private final DistributionSummary rows;
  private final DistributionSummary occupancy;
  private final Counter steps;
  private final Counter joined;
  private final Timer vae;
  private final Timer png;
  private final JobTraces traces;

  DiffusionMetrics(MeterRegistry registry, EngineSettings engine, JobTraces traces) {
    this.registry = registry;
    this.traces = traces;
    this.tags = Tags.of("engine", engine.engine().name(), "device", engine.deviceTag());
    unet =
        Buckets.latency("t2i.diffusion.unet.latency", "Time of one UNet call")
            .tags(tags)
            .register(registry);
    rows =
        DistributionSummary.builder("t2i.diffusion.unet.batch")
            .description("Rows (images, twice when guided) in one UNet call")
            .baseUnit("rows")
            .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64)
            .tags(tags)
            .register(registry);
    occupancy =
        DistributionSummary.builder("t2i.diffusion.batch.occupancy")
            .description("Rows of a UNet call over t2i.diffusion.max-batch-rows (1: a full batch)")
            .serviceLevelObjectives(0.125, 0.25, 0.5, 0.75, 1.0)
            .tags(tags)
            .register(registry);
    steps =
        Counter.builder("t2i.diffusion.steps")
            .description("Denoising steps done, summed over jobs (its rate: steps per second)")
            .tags(tags)
            .register(registry);
    joined =
        Counter.builder("t2i.diffusion.jobs.joined")
            .description("Jobs that joined a batch already denoising (continuous batching)")
            .tags(tags)
            .register(registry);
    vae =
        Buckets.latency(
                "t2i.diffusion.vae.latency", "Time of one VAE decoder call (a job's images)")
            .tags(tags)
            .register(registry);
    png =
        Buckets.latency("t2i.diffusion.png.latency", "Time to encode one job's images as PNG")
            .tags(tags)
            .register(registry);
  }

  /** Meters that record nothing: for tests. */
  static DiffusionMetrics none() {
    return new DiffusionMetrics(Telemetry.none().meters(), EngineSettings.cpu(), JobTraces.none());
  }

  /** Reports the depth of the queue of jobs waiting for the VAE decoder. */
  void decodeQueue(Collection<?> queue) {
    Gauge.builder("t2i.diffusion.decode.queue", queue, Collection::size)
        .description("Finished jobs waiting for the VAE decoder")
        .tags(tags)
        .register(registry);
  }

  void unetCall(int callRows, int maxBatchRows, long nanos) {
    unet.record(nanos, TimeUnit.NANOSECONDS);
    rows.record(callRows);
    occupancy.record(Math.min(1.0, (double) callRows / maxBatchRows));
  }

  void stepsDone(int jobs) {
    steps.increment(jobs);
  }

  void joinedRunningBatch() {
    joined.increment();
  }

  /** A job's denoising ended: its span says how many rows and jobs its widest UNet call had. */
  void denoised(String jobId, int widestCallRows, int widestCallJobs) {
    Span span = traces.spanOf(jobId);
    span.setAttribute(WIDEST_CALL_ROWS, widestCallRows);
    span.setAttribute(WIDEST_CALL_JOBS, widestCallJobs);
  }

  /** The trace id of the job's work here, for log lines; empty when it is not traced. */
  String traceIdOf(String jobId) {
    return traces.traceIdOf(jobId);
  }

  void vaeCall(long nanos) {
    vae.record(nanos, TimeUnit.NANOSECONDS);
  }

  void pngEncoded(long nanos) {
    png.record(nanos, TimeUnit.NANOSECONDS);
  }
}
