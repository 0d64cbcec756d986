package t2i.tokenizer;

import jakarta.inject.Singleton;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/**
 * The tokenizer-service's health on the management port: live while its consumer loops (and engine)
 * run, ready while it also reaches Kafka and Redis. A loop that died makes it not live, so that its
 * supervisor restarts it.
 */
final class TokenizerServiceHealth {

  private TokenizerServiceHealth() {}

  @Liveness
  @Singleton
  static final class Live implements HealthCheck {
    private final TokenizerService service;

    Live(TokenizerService service) {
      this.service = service;
    }

    @Override
    public HealthCheckResponse call() {
      return HealthCheckResponse.named("tokenizer-service-loops").status(service.isLive()).build();
    }
  }

  @Readiness
  @Singleton
  static final class Ready implements HealthCheck {
    private final TokenizerService service;

    Ready(TokenizerService service) {
      this.service = service;
    }

    @Override
    public HealthCheckResponse call() {
      return HealthCheckResponse.named("tokenizer-service-dependencies")
          .status(service.isReady())
          .build();
    }
  }
}
