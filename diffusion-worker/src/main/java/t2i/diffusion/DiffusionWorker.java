package t2i.diffusion;

import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.config.ConfigValidationException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;
import t2i.diffusion.engine.EngineSettings;
import t2i.pipeline.config.EngineConfig;
import t2i.pipeline.engine.GpuPreflight;
import t2i.pipeline.engine.TensorRtProfile;
import t2i.pipeline.job.JobStates;
import t2i.pipeline.job.JobStore;
import t2i.pipeline.model.ModelDirectory;
import t2i.pipeline.model.ModelRegistry;
import t2i.pipeline.stage.InferenceDefaults;
import t2i.pipeline.stage.ProcessExit;
import t2i.pipeline.stage.StageConnections;
import t2i.pipeline.stage.StageLoops;
import t2i.pipeline.stage.WorkerLifecycle;
import t2i.pipeline.telemetry.Telemetry;
import t2i.pipeline.v1.EncodedJob;
import t2i.v1.JobState;

/**
 * The diffusion worker's lifecycle: loads every model's UNet and VAE decoder, starts the denoising
 * engine, connects, and consumes encoded jobs until shutdown (see {@link WorkerLifecycle}, which
 * owns the models, the engine, the connections and the consumer threads).
 */
@ApplicationScoped
public class DiffusionWorker {

  /**
   * Names its health checks on the management port: diffusion-worker-loops and
   * diffusion-worker-dependencies.
   */
  private static final String HEALTH_NAME = "diffusion-worker";

  private static final Logger LOG = Logger.getLogger(DiffusionWorker.class);

  private final DiffusionWorkerConfig config;
  private final Map<String, DiffusionModel> models = new LinkedHashMap<>();
  private final WorkerLifecycle lifecycle = new WorkerLifecycle();
  private final Telemetry telemetry;

  DiffusionWorker(DiffusionWorkerConfig config, MeterRegistry meters, OpenTelemetry openTelemetry) {
    this.config = config;
    this.telemetry = new Telemetry(meters, openTelemetry);
  }

  void start(@Observes StartupEvent event) throws Exception {
    EngineSettings engine = engineSettings();
    // Checked before anything connects, like the rest of the configuration.
    int parallelUnetCalls = parallelUnetCalls(engine);
    lifecycle.start(
        DenoiseHandler.STAGE,
        config.kafka(),
        config.redis(),
        telemetry,
        () -> Quarkus.asyncExit(0),
        () -> loadModels(engine, parallelUnetCalls),
        this::assemble);
  }

  private AutoCloseable loadModels(EngineSettings engineSettings, int parallelUnetCalls)
      throws Exception {
    InferenceDefaults.apply();
    requireBatchWithinProfile(engineSettings);
    if (engineSettings.isOnnxRuntime()) {
      GpuPreflight.checkThisMachine(engineSettings.ort());
    }
    ModelRegistry registry =
        ModelRegistry.scan(config.models().dir(), config.models().defaultModel());
    AutoCloseable closeAll = () -> models.values().forEach(DiffusionModel::close);
    try {
      for (ModelDirectory dir : registry.all()) {
        models.put(dir.name(), DiffusionModel.load(dir, engineSettings, parallelUnetCalls));
      }
    } catch (Exception | Error e) {
      closeAll.close();
      throw e;
    }
    LOG.infof(
        "Loaded diffusion models %s on %s, %d UNet call(s) at once",
        models.keySet(), engineSettings.describe(), parallelUnetCalls);
    return closeAll;
  }

  /** A UNet call may not hold more rows than TensorRT's engines were built for. */
  private void requireBatchWithinProfile(EngineSettings engine) {
    int maxRows = config.diffusion().maxBatchRows();
    Optional<TensorRtProfile> profile = engine.profile();
    if (profile.isPresent() && maxRows > 2 * profile.get().maxBatch()) {
      throw new IllegalArgumentException(
          "t2i.diffusion.max-batch-rows ("
              + maxRows
              + ") is more than TensorRT's engines take: 2 rows (guidance) per image times"
              + " t2i.engine.tensorrt.max-batch ("
              + profile.get().maxBatch()
              + "); lower the one or raise the other");
    }
  }

  /**
   * How many UNet calls run at once: as configured, or by default 2 on a CPU with at least 2 cores
   * (measured in the README's "Denoising: Java overhead and batching"), else 1.
   */
  private int parallelUnetCalls(EngineSettings engine) {
    int configured = config.diffusion().parallelUnetCalls();
    if (configured > 1 && !engine.runsOnCpu()) {
      throw new ConfigValidationException(
          new ConfigValidationException.Problem[] {
            new ConfigValidationException.Problem(
                "t2i.diffusion.parallel-unet-calls="
                    + configured
                    + " applies to ONNX Runtime on the CPU; "
                    + engine.describe()
                    + " runs one UNet call at a time, and batches fill the GPU instead. Set it to"
                    + " 0 or 1.")
          });
    }
    if (configured > 0) {
      return configured;
    }
    return engine.runsOnCpu() ? Math.min(2, Runtime.getRuntime().availableProcessors()) : 1;
  }

  private EngineSettings engineSettings() {
    return new EngineSettings(config.engine().name(), EngineConfig.ortSettings(config.engine()));
  }

  private StageLoops assemble(StageConnections connections, WorkerLifecycle.Parts parts) {
    DiffusionWorkerConfig.Diffusion settings = config.diffusion();
    InstantSource clock = connections.clock();
    JobStore store = connections.store();
    // Everything the consumers may have in flight fits in the queues.
    int inFlight = settings.consumers() * settings.maxInFlight();
    DiffusionMetrics metrics =
        new DiffusionMetrics(telemetry.meters(), engineSettings(), connections.traces());
    DenoisingEngine engine =
        parts.own(
            new DenoisingEngine(
                models,
                new DenoisingEngine.Settings(
                    settings.maxBatchRows(),
                    settings.batchWait(),
                    inFlight,
                    settings.decodeQueue(),
                    settings.cancelCheckInterval(),
                    true,
                    settings.batchGap()),
                ids ->
                    store.states(ids).entrySet().stream()
                        .filter(e -> JobStates.isTerminal(e.getValue()))
                        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)),
                clock,
                e -> ProcessExit.fatal(DenoiseHandler.STAGE, e),
                metrics));
    parts.liveWhile(engine::isHealthy);
    ExecutorService results =
        parts.own(
            new ThreadPoolExecutor(
                1,
                1,
                0,
                TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(2 * inFlight),
                r -> Thread.ofPlatform().name("results").unstarted(r)));
    ProgressReporter progress = parts.own(new ProgressReporter(connections.tracker()));
    DenoiseHandler handler =
        new DenoiseHandler(
            models,
            engine,
            connections.embeddings(config.redis().embeddingRetention()),
            connections.tracker(),
            connections.publisher(),
            connections.topics().tokenized(),
            progress,
            settings.progressInterval(),
            settings.previewInterval(),
            results,
            clock,
            metrics);
    return StageLoops.builder(
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
