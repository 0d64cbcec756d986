package t2i.encoder;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;
import t2i.pipeline.model.ModelDirectory;
import t2i.pipeline.model.ModelRegistry;
import t2i.pipeline.stage.Closeables;
import t2i.pipeline.stage.InferenceDefaults;
import t2i.pipeline.stage.StageConnections;
import t2i.pipeline.stage.StageLoops;
import t2i.pipeline.stage.TerminationSignal;
import t2i.pipeline.v1.TokenizedJob;
import t2i.v1.JobState;

/**
 * The encoder worker's lifecycle: loads every model's text encoder, connects, and consumes
 * tokenized jobs until shutdown. Owns the encoders, the executor, the connections and the consumer
 * threads, and closes them in reverse order.
 */
@ApplicationScoped
public class EncoderWorker {

  private static final Logger LOG = Logger.getLogger(EncoderWorker.class);

  private final EncoderWorkerConfig config;
  private final Map<String, TextEncoder> encoders = new LinkedHashMap<>();
  private ExecutorService executor;
  private StageConnections connections;
  private StageLoops loops;

  EncoderWorker(EncoderWorkerConfig config) {
    this.config = config;
  }

  void start(@Observes StartupEvent event) throws IOException {
    TerminationSignal.onTerm(EncodeHandler.STAGE, () -> Quarkus.asyncExit(0));
    InferenceDefaults.apply();
    EncoderWorkerConfig.Encoder settings = config.encoder();
    ModelRegistry models =
        ModelRegistry.scan(config.models().dir(), config.models().defaultModel());
    for (ModelDirectory model : models.all()) {
      encoders.put(
          model.name(),
          TextEncoder.load(
              model, config.engine().name(), config.engine().intraOpThreads(), settings.threads()));
    }
    LOG.infof("Loaded text encoders of %s on %s", encoders.keySet(), config.engine().name());
    // Work waiting for a thread is bounded by what the consumers may have in flight.
    int queued = settings.consumers() * settings.maxInFlight();
    AtomicInteger threadIndex = new AtomicInteger();
    executor =
        new ThreadPoolExecutor(
            settings.threads(),
            settings.threads(),
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(queued),
            r ->
                Thread.ofPlatform()
                    .name("text-encoder-" + threadIndex.getAndIncrement())
                    .unstarted(r));
    InstantSource clock = InstantSource.system();
    connections = StageConnections.open(EncodeHandler.STAGE, config.kafka(), config.redis(), clock);
    EncodeHandler handler =
        new EncodeHandler(
            encoders,
            new EmbeddingCache(connections.redis(), config.redis().embeddingRetention()),
            connections.tracker(),
            connections.publisher(),
            connections.topics().encoded(),
            executor);
    loops =
        StageLoops.builder(
                connections,
                EncodeHandler.STAGE,
                connections.topics().tokenized(),
                TokenizedJob.parser(),
                TokenizedJob::getSpec)
            .state(JobState.ENCODING, true)
            // A diffusion worker that lost the embeddings asks for them again.
            .redo(TokenizedJob::getRedo)
            .handler(handler)
            .concurrency(settings.consumers(), settings.maxInFlight())
            .start();
  }

  /** Text encoder runs since start, over all models; prompts found in the cache do not count. */
  public long encoderRuns() {
    return encoders.values().stream().mapToLong(TextEncoder::runs).sum();
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
    // The loops drain first, then the threads they fed, then the connections, then the models.
    Closeables.closeInOrder(
        loops, executor, connections, () -> encoders.values().forEach(TextEncoder::close));
  }
}
