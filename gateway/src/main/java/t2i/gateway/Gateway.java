package t2i.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.jboss.logging.Logger;
import org.jspecify.annotations.Nullable;
import t2i.clip.prompt.PromptTokenizer;
import t2i.pipeline.config.TopicNames;
import t2i.pipeline.kafka.BroadcastListener;
import t2i.pipeline.kafka.KafkaClients;
import t2i.pipeline.model.ModelDirectory;
import t2i.pipeline.model.ModelRegistry;
import t2i.pipeline.stage.StageConnections;
import t2i.pipeline.telemetry.Telemetry;

/**
 * The gateway's parts and their lifecycle: API keys (checked first, so a misconfigured gateway
 * fails before it connects anywhere), connections (topics created if missing), the model list,
 * request validation, admission and quotas, job intake, the backlog monitor, the health check and
 * the job-event listener thread. {@link #open} builds them and connects, {@link #start} starts
 * their threads (nothing runs before the gateway is whole); {@link #close} closes the health check,
 * the listener, the backlog monitor, then the connections. {@link GatewayBean} makes it the
 * service's CDI bean.
 */
final class Gateway implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(Gateway.class);

  private final Optional<ApiKeys> apiKeys;
  private final StageConnections connections;
  private final ModelRegistry models;
  private final ModelCatalog catalog;
  private final RequestValidator validator;
  private final JobIntake intake;
  private final OwnedJobs jobs;
  private final JobViews views;
  private final JobHistory history;
  private final JobWatchers watchers;
  private final BacklogMonitor backlog;
  private final BroadcastListener listener;
  private final Thread listenerThread;
  private final DependencyHealth health;
  private final JobSweeper sweeper;
  private final HealthVerdicts verdicts;
  private final TenantGauges tenantGauges;

  /**
   * Where streams read the job store, so the event thread only dispatches. Bounded by the streams:
   * each has at most one read under way.
   */
  private final ExecutorService streamReads =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("stream-read-", 0).factory());

  private Gateway(
      Optional<ApiKeys> apiKeys,
      StageConnections connections,
      ModelRegistry models,
      ModelCatalog catalog,
      RequestValidator validator,
      JobIntake intake,
      OwnedJobs jobs,
      JobViews views,
      JobWatchers watchers,
      Background background) {
    this.apiKeys = apiKeys;
    this.connections = connections;
    this.models = models;
    this.catalog = catalog;
    this.validator = validator;
    this.intake = intake;
    this.jobs = jobs;
    this.views = views;
    this.history = new JobHistory(connections.store(), views);
    this.watchers = watchers;
    this.backlog = background.backlog();
    this.listener = background.listener();
    this.listenerThread = background.listenerThread();
    this.health = background.health();
    this.sweeper = background.sweeper();
    this.verdicts = background.verdicts();
    this.tenantGauges = background.tenantGauges();
  }

  /** The parts that run threads of their own once started. */
  private record Background(
      BacklogMonitor backlog,
      BroadcastListener listener,
      Thread listenerThread,
      DependencyHealth health,
      JobSweeper sweeper,
      HealthVerdicts verdicts,
      TenantGauges tenantGauges) {}

  /** The health checks' latest verdict, and who hears it. */
  private static final class HealthVerdicts implements Consumer<Boolean> {
    private volatile Consumer<Boolean> listener = serving -> {};
    private volatile @Nullable Boolean last;

    @Override
    public void accept(Boolean serving) {
      last = serving;
      listener.accept(serving);
    }

    void reportTo(Consumer<Boolean> newListener) {
      listener = newListener;
      Boolean verdict = last;
      if (verdict != null) {
        newListener.accept(verdict);
      }
    }
  }

  /**
   * Checks the API keys, loads the models' tokenizers, connects to Kafka and Redis and builds every
   * part; starts nothing. On a failure, closes what it opened.
   */
  static Gateway open(GatewayConfig config, Telemetry telemetry) {
    GatewayConfig.Gateway settings = config.gateway();
    Optional<ApiKeys> apiKeys =
        settings.auth().enabled()
            ? Optional.of(ApiKeys.parse(settings.auth().keys().orElse(List.of())))
            : Optional.empty();
    if (apiKeys.isEmpty()) {
      LOG.warn(
          "Authentication is off (t2i.gateway.auth.enabled=false): every caller is one anonymous"
              + " tenant. Turn it on wherever others can reach this port.");
    }
    if (settings.publishTokenized()) {
      LOG.infof(
          "Jobs are queued tokenized for the text encoders on %s"
              + " (t2i.gateway.publish-tokenized): the tokenizer service gets none",
          config.kafka().topics().tokenized());
    }
    RequestLimits limits = RequestLimits.from(settings);
    ModelRegistry models;
    Map<String, PromptTokenizer> tokenizers = new LinkedHashMap<>();
    try {
      models = ModelRegistry.scan(config.models().dir(), config.models().defaultModel());
      for (ModelDirectory model : models.all()) {
        tokenizers.put(model.name(), PromptTokenizer.load(model.tokenizerDir()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    InstantSource clock = InstantSource.system();
    StageConnections connections =
        StageConnections.open("gateway", config.kafka(), config.redis(), clock, telemetry);
    BacklogMonitor backlog = null;
    JobSweeper sweeper = null;
    DependencyHealth health = null;
    try {
      RequestValidator validator =
          new RequestValidator(
              limits,
              models,
              tokenizers,
              config.models().maxPromptChunks(),
              RequestValidator.callbackRules(config.gateway().callbacks()));
      TopicNames topics = connections.topics();
      GatewayConfig.Admission admission = settings.admission();
      backlog =
          new BacklogMonitor(
              KafkaClients.admin(connections.endpoint(), "gateway-backlog"),
              connections.store()::queueHeads,
              List.of(
                  new BacklogMonitor.Stage(admission.tokenizerGroup(), topics.jobs()),
                  new BacklogMonitor.Stage(admission.encoderGroup(), topics.tokenized()),
                  new BacklogMonitor.Stage(admission.diffusionGroup(), topics.encoded())),
              admission.refreshInterval(),
              clock);
      JobIntake intake =
          new JobIntake(
              new JobSubmitter(
                  connections.tracker(),
                  connections.publisher(),
                  settings.publishTokenized()
                      ? FirstHop.toEncoders(
                          topics.tokenized(), tokenizers, config.models().maxPromptChunks())
                      : FirstHop.toTokenizers(topics.jobs()),
                  settings.publishTimeout(),
                  connections.traces(),
                  telemetry.meters()),
              connections.store(),
              connections.requestIds(),
              new AdmissionControl(backlog, admission.maxQueuedJobs(), admission.retryAfter()),
              new TenantQuotas(
                  connections.tenantLedger(),
                  connections.store(),
                  settings.quota(),
                  settings.jobTimeout(),
                  clock),
              settings.jobTimeout(),
              clock);
      OwnedJobs jobs =
          new OwnedJobs(connections.store(), connections.tracker(), settings.publishTimeout());
      JobWatchers watchers = new JobWatchers(settings.maxStreams(), settings.quota().retryAfter());
      sweeper =
          new JobSweeper(
              connections.store(),
              connections.tracker(),
              settings.expiryGrace(),
              settings.sweepInterval(),
              clock);
      // Last: from here on nothing can fail before the listener takes over its consumer.
      BroadcastListener listener =
          JobEventListener.create(
              KafkaClients.broadcastConsumer(connections.endpoint(), "gateway-events"),
              topics.events(),
              watchers,
              settings.reconcileInterval());
      Thread listenerThread = Thread.ofPlatform().name("job-events").unstarted(listener);
      HealthVerdicts verdicts = new HealthVerdicts();
      // The event listener feeds every stream of this replica: without it the replica cannot
      // serve.
      health =
          new DependencyHealth(
              connections::redisReachable,
              backlog::kafkaReachable,
              listenerThread::isAlive,
              verdicts,
              settings.healthCheckInterval());
      TenantGauges tenantGauges =
          new TenantGauges(
              connections.tenantLedger(),
              apiKeys.map(ApiKeys::tenants).orElse(List.of(CallScope.ANONYMOUS)),
              telemetry.meters(),
              admission.refreshInterval());
      return new Gateway(
          apiKeys,
          connections,
          models,
          ModelCatalog.of(models),
          validator,
          intake,
          jobs,
          new JobViews(connections.store(), backlog),
          watchers,
          new Background(
              backlog, listener, listenerThread, health, sweeper, verdicts, tenantGauges));
    } catch (RuntimeException e) {
      if (health != null) {
        health.close();
      }
      if (sweeper != null) {
        sweeper.close();
      }
      if (backlog != null) {
        backlog.close();
      }
      connections.close();
      throw e;
    }
  }

  /** Starts the background parts: the backlog monitor, the event listener, the sweep, health. */
  void start() {
    backlog.start();
    listener.assignAll();
    listenerThread.start();
    sweeper.start();
    health.start();
    tenantGauges.start();
    LOG.infof(
        "Gateway serving models %s (default %s)", models.names(), models.defaultModel().name());
  }

  /** From now on, tells {@code listener} after every health check whether this replica serves. */
  void reportHealthTo(Consumer<Boolean> listener) {
    verdicts.reportTo(listener);
  }

  /** The accepted API keys; empty when authentication is off. */
  Optional<ApiKeys> apiKeys() {
    return apiKeys;
  }

  ModelCatalog catalog() {
    return catalog;
  }

  RequestValidator validator() {
    return validator;
  }

  JobIntake intake() {
    return intake;
  }

  OwnedJobs jobs() {
    return jobs;
  }

  JobViews views() {
    return views;
  }

  /** The callers' job histories (ListJobs). */
  JobHistory history() {
    return history;
  }

  JobWatchers watchers() {
    return watchers;
  }

  Executor streamReads() {
    return streamReads;
  }

  StageConnections connections() {
    return connections;
  }

  @Override
  public void close() {
    tenantGauges.close();
    health.close();
    sweeper.close();
    listener.close();
    streamReads.shutdown();
    try {
      listenerThread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      try {
        backlog.close();
      } finally {
        connections.close();
      }
    }
  }
}
