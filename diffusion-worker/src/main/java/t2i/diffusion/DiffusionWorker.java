package t2i.diffusion;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;
import t2i.diffusion.engine.EngineSettings;
import t2i.pipeline.job.JobGate;
import t2i.pipeline.model.ModelDirectory;
import t2i.pipeline.model.ModelRegistry;
import t2i.pipeline.stage.InferenceDefaults;
import t2i.pipeline.stage.StageConnections;
import t2i.pipeline.stage.StageLoops;
import t2i.pipeline.v1.EncodedJob;

/**
 * The diffusion worker's lifecycle: loads every model's UNet and VAE decoder, connects, and
 * consumes encoded jobs until shutdown. One thread drives the models (they are not thread-safe and
 * one inference at a time uses the device best). Owns the models, that thread, the connections and
 * the consumer threads, and closes them in reverse order.
 */
@ApplicationScoped
public class DiffusionWorker {

  private static final Logger LOG = Logger.getLogger(DiffusionWorker.class);

  private final DiffusionWorkerConfig config;
  private final Map<String, DiffusionModel> models = new LinkedHashMap<>();
  private ThreadPoolExecutor unetThread;
  private StageConnections connections;
  private StageLoops loops;

  DiffusionWorker(DiffusionWorkerConfig config) {
    this.config = config;
  }

  void start(@Observes StartupEvent event) throws IOException {
    InferenceDefaults.apply();
    DiffusionWorkerConfig.Diffusion settings = config.diffusion();
    EngineSettings engine =
        new EngineSettings(config.engine().name(), config.engine().intraOpThreads());
    ModelRegistry registry =
        ModelRegistry.scan(config.models().dir(), config.models().defaultModel());
    Map<String, TextToImage> pipelines = new LinkedHashMap<>();
    for (ModelDirectory dir : registry.all()) {
      DiffusionModel model = DiffusionModel.load(dir, engine);
      models.put(dir.name(), model);
      pipelines.put(dir.name(), new TextToImage(model));
    }
    LOG.infof("Loaded diffusion models %s on %s", models.keySet(), engine.engine());
    // Jobs waiting for the UNet are bounded by what the consumers may have in flight.
    unetThread =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(settings.consumers() * settings.maxInFlight()),
            r -> Thread.ofPlatform().name("unet").unstarted(r));
    InstantSource clock = InstantSource.system();
    connections =
        StageConnections.open(DenoiseHandler.STAGE, config.kafka(), config.redis(), clock);
    DenoiseHandler handler =
        new DenoiseHandler(
            pipelines,
            connections.redis(),
            connections.tracker(),
            new JobGate(connections.tracker(), clock),
            unetThread,
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
    try {
      if (loops != null) {
        loops.close();
      }
    } finally {
      try {
        if (unetThread != null) {
          unetThread.shutdown();
          unetThread.awaitTermination(60, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        try {
          if (connections != null) {
            connections.close();
          }
        } finally {
          models.values().forEach(DiffusionModel::close);
        }
      }
    }
  }
}
