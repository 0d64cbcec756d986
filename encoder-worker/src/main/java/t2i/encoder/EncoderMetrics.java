package t2i.encoder;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import t2i.pipeline.telemetry.Buckets;

/**
 * The encoder's own meters: embedding-cache hits and misses and the time a cache look-up takes (by
 * where it was answered), and per text-encoder call its latency and how many token windows it
 * encoded at once. Thread-safe.
 */
final class EncoderMetrics {

  private final Counter hits;
  private final Counter misses;
  private final Timer lookupInMemory;
  private final Timer lookupInRedis;
  private final Timer encoding;
  private final DistributionSummary windows;

  EncoderMetrics(MeterRegistry registry) {
    hits = cache(registry, "hit");
    misses = cache(registry, "miss");
    lookupInMemory = lookup(registry, "memory");
    lookupInRedis = lookup(registry, "redis");
    encoding =
        Buckets.latency("t2i.encoder.latency", "Time of one text-encoder call").register(registry);
    windows =
        DistributionSummary.builder("t2i.encoder.batch")
            .description("Token windows (rows) one text-encoder call encoded")
            .baseUnit("windows")
            .serviceLevelObjectives(1, 2, 4, 8, 16, 32)
            .register(registry);
  }

  private static Timer lookup(MeterRegistry registry, String source) {
    return Buckets.latency(
            "t2i.encoder.cache.lookup",
            "Time to find a job's prompt embeddings in the cache: in this process's memory of leases"
                + " it renewed lately (source=memory), or in Redis, renewing their leases (one round"
                + " trip for the prompt and the negative prompt, source=redis)")
        .tag("source", source)
        .register(registry);
  }

  private static Counter cache(MeterRegistry registry, String result) {
    return Counter.builder("t2i.encoder.cache")
        .description("Prompt embeddings looked up in the cache, by result")
        .tag("result", result)
        .register(registry);
  }

  /**
   * One look-up of a job's prompts: whether each was cached, whether this process remembered that
   * without asking Redis, and the time it took.
   */
  void lookedUp(List<Boolean> cached, boolean remembered, long nanos) {
    for (boolean hit : cached) {
      (hit ? hits : misses).increment();
    }
    (remembered ? lookupInMemory : lookupInRedis).record(nanos, TimeUnit.NANOSECONDS);
  }

  void encoded(int windowCount, long nanos) {
    windows.record(windowCount);
    encoding.record(nanos, TimeUnit.NANOSECONDS);
  }
}
