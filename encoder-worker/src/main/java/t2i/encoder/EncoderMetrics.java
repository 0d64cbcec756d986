package t2i.encoder;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import t2i.pipeline.telemetry.Buckets;

/**
 * The encoder's own meters: embedding-cache hits and misses and the time a cache look-up takes, and
 * per text-encoder call its latency and how many token windows it encoded at once. Thread-safe.
 */
final class EncoderMetrics {

  private final Counter hits;
  private final Counter misses;
  private final Timer lookup;
  private final Timer encoding;
  private final DistributionSummary windows;

  EncoderMetrics(MeterRegistry registry) {
    hits = cache(registry, "hit");
    misses = cache(registry, "miss");
    lookup =
        Buckets.latency(
                "t2i.encoder.cache.lookup",
                "Time to find a job's prompt embeddings in the cache and renew their leases (one round"
                    + " trip for the prompt and the negative prompt)")
            .register(registry);
    encoding =
        Buckets.latency("t2i.encoder.latency", "Time of one text-encoder call").register(registry);
    windows =
        DistributionSummary.builder("t2i.encoder.batch")
            .description("Token windows (rows) one text-encoder call encoded")
            .baseUnit("windows")
            .serviceLevelObjectives(1, 2, 4, 8, 16, 32)
            .register(registry);
  }

  private static Counter cache(MeterRegistry registry, String result) {
    return Counter.builder("t2i.encoder.cache")
        .description("Prompt embeddings looked up in the cache, by result")
        .tag("result", result)
        .register(registry);
  }

  /** One look-up of a job's prompts: whether each was cached, and the time of the round trip. */
  void lookedUp(List<Boolean> cached, long nanos) {
    for (boolean hit : cached) {
      (hit ? hits : misses).increment();
    }
    lookup.record(nanos, TimeUnit.NANOSECONDS);
  }

  void encoded(int windowCount, long nanos) {
    windows.record(windowCount);
    encoding.record(nanos, TimeUnit.NANOSECONDS);
  }
}
