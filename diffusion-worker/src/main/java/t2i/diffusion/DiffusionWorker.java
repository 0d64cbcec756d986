package t2i.diffusion;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;
import t2i.diffusion.engine.EngineSettings;
import t2i.pipeline.job.JobGate;
import t2i.pipeline.job.JobStates;
import t2i.pipeline.job.JobStore;
import t2i.pipeline.model.ModelDirectory;
import t2i.pipeline.model.ModelRegistry;
import t2i.pipeline.stage.Closeables;
import t2i.pipeline.stage.InferenceDefaults;
import t2i.pipeline.stage.StageConnections;
import t2i.pipeline.stage.StageLoops;
import t2i.pipeline.v1.EncodedJob;

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
  private StageConnections connections;
  private StageLoops loops;

  DiffusionWorker(DiffusionWorkerConfig config) {
    this.config = config;
  }

  void start(@Observes StartupEvent event) throws IOException {
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
    engine =
        new DenoisingEngine(
            models,
            new DenoisingEngine.Settings(
                settings.maxBatchRows(),
                settings.batchWait(),
                // Everything the consumers may have in flight fits in the queue.
                settings.consumers() * settings.maxInFlight(),
                settings.decodeQueue(),
                settings.cancelCheckInterval(),
                true),
            ids ->
                store.states(ids).entrySet().stream()
                    .filter(e -> JobStates.isTerminal(e.getValue()))
                    .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)),
            clock);
    DenoiseHandler handler =
        new DenoiseHandler(
            models,
            engine,
            connections.redis(),
            connections.tracker(),
            new JobGate(connections.tracker(), clock),
            settings.progressInterval());
    loops =
        StageLoops.start(
            connections,
            DenoiseHandler.STAGE,
            connections.topics().encoded(),
            EncodedJob.parser(),
            handler,
            settings.consumers(),
            settings.maxInFlight());
  }

  void stop(@Observes ShutdownEvent event) {
    // The loops drain first, then the engine they fed, then the connections, then the models.
    Closeables.closeInOrder(
        loops, engine, connections, () -> models.values().forEach(DiffusionModel::close));
  }
}
