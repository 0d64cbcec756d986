package t2i.gateway;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import t2i.pipeline.stage.TerminationSignal;

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
  Gateway gateway(GatewayConfig config) {
    TerminationSignal.onTerm("gateway", () -> Quarkus.asyncExit(0));
    Gateway gateway = Gateway.open(config);
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
