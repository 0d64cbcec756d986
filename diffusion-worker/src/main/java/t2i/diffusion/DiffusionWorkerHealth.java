package t2i.diffusion;

import jakarta.inject.Singleton;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/**
 * The diffusion-worker's health on the management port: live while its consumer loops (and engine)
 * run, ready while it also reaches Kafka and Redis. A loop that died makes it not live, so that its
 * supervisor restarts it.
 */
final class DiffusionWorkerHealth {

  private DiffusionWorkerHealth() {}

  @Liveness
  @Singleton
  static final class Live implements HealthCheck {
    private final DiffusionWorker service;

    Live(DiffusionWorker service) {
      this.service = service;
    }

    @Override
    public HealthCheckResponse call() {
      return HealthCheckResponse.named("diffusion-worker-loops").status(service.isLive()).build();
    }
  }

  @Readiness
  @Singleton
  static final class Ready implements HealthCheck {
    private final DiffusionWorker service;

    Ready(DiffusionWorker service) {
      this.service = service;
    }

    @Override
    public HealthCheckResponse call() {
      return HealthCheckResponse.named("diffusion-worker-dependencies")
          .status(service.isReady())
          .build();
    }
  }
}
