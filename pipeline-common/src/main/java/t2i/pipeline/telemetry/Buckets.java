package t2i.pipeline.telemetry;

import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * The histogram buckets of t2i's latency timers: from a millisecond (a cache hit, a 1-step job on a
 * GPU) to ten minutes (a queued 50-step job at peak), about two buckets per doubling, so that both
 * ends of the range have quantiles worth reading. Fixed, so that dashboards and alerts can name
 * bucket bounds ({@code le="1.0"}) that exist on every service.
 */
public final class Buckets {

  private static final Duration[] LATENCY = {
    Duration.ofMillis(1),
    Duration.ofMillis(2),
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(20),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(200),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofSeconds(2),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10),
    Duration.ofSeconds(20),
    Duration.ofSeconds(30),
    Duration.ofSeconds(60),
    Duration.ofSeconds(120),
    Duration.ofSeconds(300),
    Duration.ofSeconds(600)
  };

  private Buckets() {}

  /** A timer builder with t2i's latency buckets. */
  public static Timer.Builder latency(String name, String description) {
    return Timer.builder(name).description(description).serviceLevelObjectives(LATENCY);
  }
}
