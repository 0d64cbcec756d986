package t2i.diffusion;

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
import java.util.stream.Collectors;
import org.jboss.logging.Logger;
import t2i.diffusion.engine.EngineSettings;
import t2i.pipeline.job.JobStates;
import t2i.pipeline.job.JobStore;
import t2i.pipeline.model.ModelDirectory;
import t2i.pipeline.model.ModelRegistry;
import t2i.pipeline.stage.Closeables;
import t2i.pipeline.stage.InferenceDefaults;
import t2i.pipeline.stage.ProcessExit;
import t2i.pipeline.stage.StageConnections;
import t2i.pipeline.stage.StageLoops;
import t2i.pipeline.stage.TerminationSignal;
import t2i.pipeline.v1.EncodedJob;
import t2i.v1.JobState;

/**
 * The diffusion worker's lifecycle: loads every model's UNet and VAE decoder, starts the denoising
 * engine, connects, and consumes encoded jobs until shutdown. Owns the models, the engine, the
 * connections and the consumer threads, and closes them in reverse order.
 */
@ApplicationScoped
public class DiffusionWorker {

  private static final Logger LOG = Logger.getLogger(DiffusionWorker.class);

  private final DiffusionWorkerConfig config;
  private final Map<String, DiffusionModel> models = new LinkedHashMap<>();
  private DenoisingEngine engine;
  private ProgressReporter progress;
  private ExecutorService results;
  private StageConnections connections;
  private StageLoops loops;

  DiffusionWorker(DiffusionWorkerConfig config) {
    this.config = config;
  }

  void start(@Observes StartupEvent event) throws IOException {
    TerminationSignal.onTerm(DenoiseHandler.STAGE, () -> Quarkus.asyncExit(0));
    InferenceDefaults.apply();
    DiffusionWorkerConfig.Diffusion settings = config.diffusion();
    EngineSettings engineSettings =
        new EngineSettings(
            config.engine().name(),
            config.engine().intraOpThreads(),
            config.engine().allowSpinning());
    ModelRegistry registry =
        ModelRegistry.scan(config.models().dir(), config.models().defaultModel());
    for (ModelDirectory dir : registry.all()) {
      models.put(dir.name(), DiffusionModel.load(dir, engineSettings));
    }
    LOG.infof("Loaded diffusion models %s on %s", models.keySet(), engineSettings.engine());
    InstantSource clock = InstantSource.system();
    connections =
        StageConnections.open(DenoiseHandler.STAGE, config.kafka(), config.redis(), clock);
    JobStore store = connections.store();
    // Everything the consumers may have in flight fits in the queues.
    int inFlight = settings.consumers() * settings.maxInFlight();
    engine =
        new DenoisingEngine(
            models,
            new DenoisingEngine.Settings(
                settings.maxBatchRows(),
                settings.batchWait(),
                inFlight,
                settings.decodeQueue(),
                settings.cancelCheckInterval(),
                true),
            ids ->
                store.states(ids).entrySet().stream()
                    .filter(e -> JobStates.isTerminal(e.getValue()))
                    .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)),
            clock,
            e -> ProcessExit.fatal(DenoiseHandler.STAGE, e));
    progress = new ProgressReporter(connections.tracker());
    results =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(2 * inFlight),
            r -> Thread.ofPlatform().name("results").unstarted(r));
    DenoiseHandler handler =
        new DenoiseHandler(
            models,
            engine,
            connections.redis(),
            connections.tracker(),
            connections.publisher(),
            connections.topics().tokenized(),
            progress,
            settings.progressInterval(),
            results,
            clock);
    loops =
        StageLoops.builder(
                connections,
                DenoiseHandler.STAGE,
                connections.topics().encoded(),
                EncodedJob.parser(),
                EncodedJob::getSpec)
            .state(JobState.DENOISING, false)
            .handler(handler)
            .concurrency(settings.consumers(), settings.maxInFlight())
            .start();
  }

  /** Whether the consumer loops and the engine's threads run (liveness). */
  boolean isLive() {
    return loops != null && loops.isAlive() && engine.isHealthy();
  }

  /** Whether the worker takes new jobs: live, and Kafka and Redis answer (readiness). */
  boolean isReady() {
    return isLive() && !loops.isWaitingForInfrastructure();
  }

  void stop(@Observes ShutdownEvent event) {
    // The loops drain first, then the engine they fed, then the connections, then the models.
    Closeables.closeInOrder(
        loops,
        engine,
        results,
        progress,
        connections,
        () -> models.values().forEach(DiffusionModel::close));
  }
}
