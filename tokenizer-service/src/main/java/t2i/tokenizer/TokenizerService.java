package t2i.tokenizer;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jboss.logging.Logger;
import t2i.clip.prompt.PromptTokenizer;
import t2i.pipeline.model.ModelDirectory;
import t2i.pipeline.model.ModelRegistry;
import t2i.pipeline.stage.Closeables;
import t2i.pipeline.stage.StageConnections;
import t2i.pipeline.stage.StageLoops;
import t2i.pipeline.stage.TerminationSignal;
import t2i.pipeline.v1.JobSubmitted;
import t2i.v1.JobState;

/**
 * The tokenizer service's lifecycle: loads every model's tokenizer, connects, and consumes
 * submitted jobs until shutdown. Owns the connections and the consumer threads.
 */
@ApplicationScoped
public class TokenizerService {

  private static final Logger LOG = Logger.getLogger(TokenizerService.class);

  private final TokenizerServiceConfig config;
  private StageConnections connections;
  private StageLoops loops;

  TokenizerService(TokenizerServiceConfig config) {
    this.config = config;
  }

  void start(@Observes StartupEvent event) throws IOException {
    TerminationSignal.onTerm(TokenizeHandler.STAGE, () -> Quarkus.asyncExit(0));
    Map<String, PromptTokenizer> tokenizers = new LinkedHashMap<>();
    ModelRegistry models =
        ModelRegistry.scan(config.models().dir(), config.models().defaultModel());
    for (ModelDirectory model : models.all()) {
      tokenizers.put(model.name(), PromptTokenizer.load(model.tokenizerDir()));
    }
    LOG.infof("Loaded tokenizers of %s", tokenizers.keySet());
    InstantSource clock = InstantSource.system();
    connections =
        StageConnections.open(TokenizeHandler.STAGE, config.kafka(), config.redis(), clock);
    TokenizeHandler handler =
        new TokenizeHandler(
            tokenizers,
            config.models().maxPromptChunks(),
            connections.tracker(),
            connections.publisher(),
            connections.topics().tokenized());
    loops =
        StageLoops.builder(
                connections,
                TokenizeHandler.STAGE,
                connections.topics().jobs(),
                JobSubmitted.parser(),
                JobSubmitted::getSpec)
            .state(JobState.TOKENIZING, true)
            .handler(handler)
            .concurrency(config.tokenizer().consumers(), config.tokenizer().maxInFlight())
            .start();
  }

  /** Whether the consumer loops run (liveness). */
  boolean isLive() {
    return loops != null && loops.isAlive();
  }

  /** Whether the service takes new jobs: live, and Kafka and Redis answer (readiness). */
  boolean isReady() {
    return isLive() && !loops.isWaitingForInfrastructure();
  }

  void stop(@Observes ShutdownEvent event) {
    // The loops drain first, then the connections they used.
    Closeables.closeInOrder(loops, connections);
  }
}
