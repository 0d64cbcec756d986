package t2i.encoder;

import jakarta.inject.Singleton;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/**
 * The encoder-worker's health on the management port: live while its consumer loops (and engine)
 * run, ready while it also reaches Kafka and Redis. A loop that died makes it not live, so that its
 * supervisor restarts it.
 */
final class EncoderWorkerHealth {

  private EncoderWorkerHealth() {}

  @Liveness
  @Singleton
  static final class Live implements HealthCheck {
    private final EncoderWorker service;

    Live(EncoderWorker service) {
      this.service = service;
    }

    @Override
    public HealthCheckResponse call() {
      return HealthCheckResponse.named("encoder-worker-loops").status(service.isLive()).build();
    }
  }

  @Readiness
  @Singleton
  static final class Ready implements HealthCheck {
    private final EncoderWorker service;

    Ready(EncoderWorker service) {
      this.service = service;
    }

    @Override
    public HealthCheckResponse call() {
      return HealthCheckResponse.named("encoder-worker-dependencies")
          .status(service.isReady())
          .build();
    }
  }
}
