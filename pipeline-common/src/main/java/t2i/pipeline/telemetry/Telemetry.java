package t2i.pipeline.telemetry;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;

/**
 * What a service observes itself with: the registry its meters go to (Prometheus in a service) and
 * the OpenTelemetry its spans go to (the SDK that exports over OTLP, or a no-op one). Handed in by
 * the service, which owns both.
 */
public record Telemetry(MeterRegistry meters, OpenTelemetry openTelemetry) {

  /** Meters that record nothing and spans that go nowhere: for tests and tools. */
  public static Telemetry none() {
    // A composite registry with no registries in it keeps no values.
    return new Telemetry(new CompositeMeterRegistry(), OpenTelemetry.noop());
  }
}
