package t2i.tokenizer;

import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.LinkedHashMap;
import java.util.Map;
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
                .handler(
                    new TokenizeHandler(
                        tokenizers,
                        config.models().maxPromptChunks(),
                        connections.tracker(),
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

  /** Whether the consumer loops run (liveness). */
  boolean isLive() {
    return lifecycle.isLive();
  }

  /** Whether the service takes new jobs: live, and Kafka and Redis answer (readiness). */
  boolean isReady() {
    return lifecycle.isReady();
  }

  void stop(@Observes ShutdownEvent event) {
    lifecycle.close();
  }
}
