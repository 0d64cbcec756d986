package t2i.gateway;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
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
import t2i.pipeline.stage.TerminationSignal;

/**
 * The gateway's parts and their lifecycle: API keys (checked first, so a misconfigured gateway
 * fails before it connects anywhere), connections (topics created if missing), the model list,
 * request validation, admission and quotas, job intake, the backlog monitor, the health check and
 * the job-event listener thread. Created at start-up; closes the health check, the listener, the
 * backlog monitor, then the connections.
 */
@Startup
@ApplicationScoped
public class Gateway {

  private static final Logger LOG = Logger.getLogger(Gateway.class);

  private final Optional<ApiKeys> apiKeys;
  private final StageConnections connections;
  private final ModelRegistry models;
  private final ModelCatalog catalog;
  private final RequestValidator validator;
  private final JobIntake intake;
  private final OwnedJobs jobs;
  private final JobViews views;
  private final JobWatchers watchers;
  private final BacklogMonitor backlog;
  private final BroadcastListener listener;
  private final Thread listenerThread;
  private final DependencyHealth health;
  private final JobSweeper sweeper;
  private volatile Consumer<Boolean> healthListener = serving -> {};
  private volatile @Nullable Boolean lastVerdict;

  /**
   * Where streams read the job store, so the event thread only dispatches. Bounded by the streams:
   * each has at most one read under way.
   */
  private final ExecutorService streamReads =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("stream-read-", 0).factory());

  Gateway(GatewayConfig config) {
    TerminationSignal.onTerm("gateway", () -> Quarkus.asyncExit(0));
    GatewayConfig.Gateway settings = config.gateway();
    this.apiKeys =
        settings.auth().enabled()
            ? Optional.of(ApiKeys.parse(settings.auth().keys().orElse(List.of())))
            : Optional.empty();
    if (apiKeys.isEmpty()) {
      LOG.warn(
          "Authentication is off (t2i.gateway.auth.enabled=false): every caller is one anonymous"
              + " tenant. Turn it on wherever others can reach this port.");
    }
    RequestLimits limits = RequestLimits.from(settings);
    try {
      this.models = ModelRegistry.scan(config.models().dir(), config.models().defaultModel());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, PromptTokenizer> tokenizers = new LinkedHashMap<>();
    try {
      for (ModelDirectory model : models.all()) {
        tokenizers.put(model.name(), PromptTokenizer.load(model.tokenizerDir()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.catalog = ModelCatalog.of(models);
    InstantSource clock = InstantSource.system();
    this.connections = StageConnections.open("gateway", config.kafka(), config.redis(), clock);
    BacklogMonitor startedBacklog = null;
    DependencyHealth startedHealth = null;
    JobSweeper startedSweeper = null;
    try {
      Duration reconcileInterval =
          JobEventListener.checkedReconcileInterval(settings.reconcileInterval());
      this.validator =
          new RequestValidator(limits, models, tokenizers, config.models().maxPromptChunks());
      TopicNames topics = connections.topics();
      GatewayConfig.Admission admission = settings.admission();
      startedBacklog =
          new BacklogMonitor(
              KafkaClients.admin(connections.endpoint(), "gateway-backlog"),
              List.of(
                  new BacklogMonitor.Stage(admission.tokenizerGroup(), topics.jobs()),
                  new BacklogMonitor.Stage(admission.encoderGroup(), topics.tokenized()),
                  new BacklogMonitor.Stage(admission.diffusionGroup(), topics.encoded())),
              admission.refreshInterval(),
              clock);
      this.backlog = startedBacklog;
      this.intake =
          new JobIntake(
              new JobSubmitter(
                  connections.tracker(),
                  connections.publisher(),
                  topics.jobs(),
                  settings.publishTimeout()),
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
      this.jobs =
          new OwnedJobs(connections.store(), connections.tracker(), settings.publishTimeout());
      this.views = new JobViews(connections.store());
      this.watchers = new JobWatchers(settings.maxStreams(), settings.quota().retryAfter());
      startedSweeper =
          new JobSweeper(
              connections.store(),
              connections.tracker(),
              settings.expiryGrace(),
              settings.sweepInterval(),
              clock);
      this.sweeper = startedSweeper;
      startedHealth =
          new DependencyHealth(
              connections::redisReachable,
              backlog::kafkaReachable,
              this::listenerAlive,
              serving -> {
                lastVerdict = serving;
                healthListener.accept(serving);
              },
              settings.healthCheckInterval());
      this.health = startedHealth;
      // Last: from here on nothing can fail before the listener takes over its consumer.
      this.listener =
          JobEventListener.create(
              KafkaClients.broadcastConsumer(connections.endpoint(), "gateway-events"),
              topics.events(),
              watchers,
              reconcileInterval);
    } catch (RuntimeException e) {
      if (startedHealth != null) {
        startedHealth.close();
      }
      if (startedSweeper != null) {
        startedSweeper.close();
      }
      if (startedBacklog != null) {
        startedBacklog.close();
      }
      connections.close();
      throw e;
    }
    backlog.start();
    listener.assignAll();
    this.listenerThread = Thread.ofPlatform().name("job-events").unstarted(listener);
    listenerThread.start();
    sweeper.start();
    health.start();
    LOG.infof(
        "Gateway serving models %s (default %s)", models.names(), models.defaultModel().name());
  }

  /** The event listener feeds every stream of this replica: without it the replica cannot serve. */
  private boolean listenerAlive() {
    return listenerThread != null && listenerThread.isAlive();
  }

  /** From now on, tells {@code listener} after every health check whether this replica serves. */
  void reportHealthTo(Consumer<Boolean> listener) {
    this.healthListener = listener;
    Boolean last = lastVerdict;
    if (last != null) {
      listener.accept(last);
    }
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

  JobWatchers watchers() {
    return watchers;
  }

  Executor streamReads() {
    return streamReads;
  }

  StageConnections connections() {
    return connections;
  }

  @PreDestroy
  void close() {
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
