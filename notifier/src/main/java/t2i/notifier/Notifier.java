package t2i.notifier;

import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.InstantSource;
import java.util.List;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;
import t2i.pipeline.callback.CallbackRules;
import t2i.pipeline.stage.StageLoops;
import t2i.pipeline.stage.WorkerLifecycle;
import t2i.pipeline.telemetry.Telemetry;
import t2i.pipeline.v1.JobEvent;

/**
 * The notifier's lifecycle: connects, and reads the events topic in its own consumer group, so that
 * each ended job's callback is delivered by one notifier however many run (see {@link
 * WorkerLifecycle}, which owns the connections and the consumer threads; the delivery's client and
 * timers are among its parts).
 */
@ApplicationScoped
public class Notifier {

  /** Names its health checks on the management port: notifier-loops and notifier-dependencies. */
  private static final String HEALTH_NAME = "notifier";

  private static final Logger LOG = Logger.getLogger(Notifier.class);

  private final NotifierConfig config;
  private final WorkerLifecycle lifecycle = new WorkerLifecycle();
  private final Telemetry telemetry;

  Notifier(NotifierConfig config, MeterRegistry meters, OpenTelemetry openTelemetry) {
    this.config = config;
    this.telemetry = new Telemetry(meters, openTelemetry);
  }

  void start(@Observes StartupEvent event) throws Exception {
    NotifierConfig.Notifier settings = config.notifier();
    SigningSecrets secrets = SigningSecrets.from(settings);
    if (secrets.isEmpty()) {
      LOG.warn(
          "No signing secret is set (t2i.notifier.default-signing-secret or"
              + " t2i.notifier.signing-secrets.\"TENANT\"): callbacks will be given up unsent");
    }
    // Schemes and hosts were checked at submission; here only where a name resolves to now.
    CallbackRules addresses =
        new CallbackRules(
            CallbackRules.SUPPORTED_SCHEMES, List.of(), settings.allowPrivateAddresses(), 1);
    lifecycle.start(
        NotifyHandler.STAGE,
        config.kafka(),
        config.redis(),
        telemetry,
        () -> Quarkus.asyncExit(0),
        () -> () -> {},
        (connections, parts) -> {
          CallbackDelivery delivery =
              parts.own(
                  new CallbackDelivery(
                      connections.store(),
                      addresses,
                      secrets,
                      CallbackDelivery.Settings.from(settings),
                      InstantSource.system(),
                      new NotifierMetrics(telemetry.meters()),
                      settings.consumers() * settings.maxInFlight()));
          return StageLoops.observer(
                  connections,
                  NotifyHandler.STAGE,
                  connections.topics().events(),
                  JobEvent.parser())
              .handler(new NotifyHandler(connections.store(), delivery))
              .concurrency(settings.consumers(), settings.maxInFlight())
              .start();
        });
  }

  /** Live while its consumer loops run (see {@link WorkerLifecycle#isLive()}). */
  @Produces
  @Liveness
  @Singleton
  HealthCheck liveness() {
    return lifecycle.liveness(HEALTH_NAME);
  }

  /** Ready while it is live and Kafka and Redis answer. */
  @Produces
  @Readiness
  @Singleton
  HealthCheck readiness() {
    return lifecycle.readiness(HEALTH_NAME);
  }

  void stop(@Observes ShutdownEvent event) {
    lifecycle.close();
  }
}
