package t2i.encoder;

import com.github.benmanes.caffeine.cache.Ticker;
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
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;
import t2i.pipeline.config.EngineConfig;
import t2i.pipeline.config.EngineName;
import t2i.pipeline.engine.GpuPreflight;
import t2i.pipeline.engine.OrtEngineSettings;
import t2i.pipeline.model.ModelDirectory;
import t2i.pipeline.model.ModelRegistry;
import t2i.pipeline.stage.InferenceDefaults;
import t2i.pipeline.stage.StageLoops;
import t2i.pipeline.stage.WorkerLifecycle;
import t2i.pipeline.telemetry.Telemetry;
import t2i.pipeline.v1.TokenizedJob;
import t2i.v1.JobState;

/**
 * The encoder worker's lifecycle: loads every model's text encoder, connects, and consumes
 * tokenized jobs until shutdown (see {@link WorkerLifecycle}, which owns the encoders, the
 * executor, the connections and the consumer threads).
 */
@ApplicationScoped
public class EncoderWorker {

  /**
   * Names its health checks on the management port: encoder-worker-loops and
   * encoder-worker-dependencies.
   */
  private static final String HEALTH_NAME = "encoder-worker";

  private static final Logger LOG = Logger.getLogger(EncoderWorker.class);

  private final EncoderWorkerConfig config;
  private final Map<String, TextEncoder> encoders = new LinkedHashMap<>();
  private final WorkerLifecycle lifecycle = new WorkerLifecycle();
  private final Telemetry telemetry;

  EncoderWorker(EncoderWorkerConfig config, MeterRegistry meters, OpenTelemetry openTelemetry) {
    this.config = config;
    this.telemetry = new Telemetry(meters, openTelemetry);
  }

  void start(@Observes StartupEvent event) throws Exception {
    EncoderWorkerConfig.Encoder settings = config.encoder();
    // Checked before anything connects, like the rest of the configuration.
    RenewedLeases leases = renewedLeases();
    lifecycle.start(
        EncodeHandler.STAGE,
        config.kafka(),
        config.redis(),
        telemetry,
        () -> Quarkus.asyncExit(0),
        this::loadEncoders,
        (connections, parts) -> {
          ExecutorService executor = parts.own(encoderThreads(settings));
          EncodeHandler handler =
              new EncodeHandler(
                  encoders,
                  connections.embeddings(config.redis().embeddingRetention()),
                  leases,
                  connections.publisher(),
                  connections.topics().encoded(),
                  executor,
                  new EncoderMetrics(telemetry.meters()));
          return StageLoops.builder(
                  connections,
                  EncodeHandler.STAGE,
                  connections.topics().tokenized(),
                  TokenizedJob.parser(),
                  TokenizedJob::getSpec)
              .state(JobState.ENCODING, true)
              .recordsStateOnEntry()
              // A diffusion worker that lost the embeddings asks for them again.
              .redo(TokenizedJob::getRedo)
              .handler(handler)
              .concurrency(settings.consumers(), settings.maxInFlight())
              .start();
        });
  }

  private AutoCloseable loadEncoders() throws Exception {
    InferenceDefaults.apply();
    OrtEngineSettings ort = EngineConfig.ortSettings(config.engine());
    if (config.engine().name() == EngineName.OnnxRuntime) {
      GpuPreflight.checkThisMachine(ort);
    }
    ModelRegistry models =
        ModelRegistry.scan(config.models().dir(), config.models().defaultModel());
    AutoCloseable closeAll = () -> encoders.values().forEach(TextEncoder::close);
    try {
      for (ModelDirectory model : models.all()) {
        encoders.put(
            model.name(),
            TextEncoder.load(model, config.engine().name(), ort, config.encoder().threads()));
      }
    } catch (Exception | Error e) {
      closeAll.close();
      throw e;
    }
    LOG.infof(
        "Loaded text encoders of %s on %s",
        encoders.keySet(),
        config.engine().name() == EngineName.OnnxRuntime
            ? "OnnxRuntime on " + ort.describe()
            : config.engine().name());
    return closeAll;
  }

  private RenewedLeases renewedLeases() {
    Duration renewal = config.encoder().cacheRenewalInterval();
    Duration retention = config.redis().embeddingRetention();
    if (renewal.isNegative() || renewal.compareTo(retention) >= 0) {
      // A renewal as rare as the retention would let embeddings in use expire.
      throw new ConfigValidationException(
          new ConfigValidationException.Problem[] {
            new ConfigValidationException.Problem(
                "t2i.encoder.cache-renewal-interval must be at least 0 and shorter than"
                    + " t2i.redis.embedding-retention ("
                    + retention
                    + "), was "
                    + renewal)
          });
    }
    return new RenewedLeases(config.encoder().cacheMemoKeys(), renewal, Ticker.systemTicker());
  }

  /** The encoder threads; work waiting for one is bounded by what the consumers may have. */
  private static ExecutorService encoderThreads(EncoderWorkerConfig.Encoder settings) {
    int queued = settings.consumers() * settings.maxInFlight();
    AtomicInteger threadIndex = new AtomicInteger();
    return new ThreadPoolExecutor(
        settings.threads(),
        settings.threads(),
        0,
        TimeUnit.MILLISECONDS,
        new ArrayBlockingQueue<>(queued),
        r ->
            Thread.ofPlatform().name("text-encoder-" + threadIndex.getAndIncrement()).unstarted(r));
  }

  /** Text encoder runs since start, over all models; prompts found in the cache do not count. */
  public long encoderRuns() {
    return encoders.values().stream().mapToLong(TextEncoder::runs).sum();
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
