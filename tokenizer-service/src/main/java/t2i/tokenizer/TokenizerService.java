package t2i.tokenizer;

import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;
import t2i.clip.prompt.PromptTokenizer;
import t2i.pipeline.model.ModelDirectory;
import t2i.pipeline.model.ModelRegistry;
import t2i.pipeline.stage.StageLoops;
import t2i.pipeline.stage.WorkerLifecycle;
import t2i.pipeline.telemetry.Telemetry;
import t2i.pipeline.v1.JobSubmitted;
import t2i.v1.JobState;

/**
 * The tokenizer service's lifecycle: loads every model's tokenizer, connects, and consumes
 * submitted jobs until shutdown (see {@link WorkerLifecycle}, which owns all of it).
 */
@ApplicationScoped
public class TokenizerService {

  /**
   * Names its health checks on the management port: tokenizer-service-loops and
   * tokenizer-service-dependencies.
   */
  private static final String HEALTH_NAME = "tokenizer-service";

  private static final Logger LOG = Logger.getLogger(TokenizerService.class);

  private final TokenizerServiceConfig config;
  private final Map<String, PromptTokenizer> tokenizers = new LinkedHashMap<>();
  private final WorkerLifecycle lifecycle = new WorkerLifecycle();
  private final Telemetry telemetry;

  TokenizerService(
      TokenizerServiceConfig config, MeterRegistry meters, OpenTelemetry openTelemetry) {
    this.config = config;
    this.telemetry = new Telemetry(meters, openTelemetry);
  }

  void start(@Observes StartupEvent event) throws Exception {
    lifecycle.start(
        TokenizeHandler.STAGE,
        config.kafka(),
        config.redis(),
        telemetry,
        () -> Quarkus.asyncExit(0),
        this::loadTokenizers,
        (connections, parts) ->
            StageLoops.builder(
                    connections,
                    TokenizeHandler.STAGE,
                    connections.topics().jobs(),
                    JobSubmitted.parser(),
                    JobSubmitted::getSpec)
                .state(JobState.TOKENIZING, true)
                .recordsStateOnEntry()
                .handler(
                    new TokenizeHandler(
                        tokenizers,
                        config.models().maxPromptChunks(),
                        connections.publisher(),
                        connections.topics().tokenized()))
                .concurrency(config.tokenizer().consumers(), config.tokenizer().maxInFlight())
                .start());
  }

  private AutoCloseable loadTokenizers() throws Exception {
    ModelRegistry models =
        ModelRegistry.scan(config.models().dir(), config.models().defaultModel());
    for (ModelDirectory model : models.all()) {
      tokenizers.put(model.name(), PromptTokenizer.load(model.tokenizerDir()));
    }
    LOG.infof("Loaded tokenizers of %s", tokenizers.keySet());
    // Tokenizers hold memory only.
    return () -> {};
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
