package t2i.gateway;

import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import t2i.pipeline.stage.TerminationSignal;
import t2i.pipeline.telemetry.Telemetry;

/**
 * The gateway as the service's CDI bean: opened and started when the service starts (so that a bad
 * configuration or an unreachable Kafka stops it at once), closed when it stops. SIGTERM leads to
 * an orderly exit.
 */
@Singleton
final class GatewayBean {

  @Produces
  @Singleton
  @Startup
  Gateway gateway(GatewayConfig config, MeterRegistry meters, OpenTelemetry openTelemetry) {
    TerminationSignal.onTerm("gateway", () -> Quarkus.asyncExit(0));
    Gateway gateway = Gateway.open(config, new Telemetry(meters, openTelemetry));
    try {
      gateway.start();
    } catch (RuntimeException | Error e) {
      gateway.close();
      throw e;
    }
    return gateway;
  }

  void close(@Disposes Gateway gateway) {
    gateway.close();
  }
}
