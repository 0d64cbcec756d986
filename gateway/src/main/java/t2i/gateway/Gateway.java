package t2i.gateway;

import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jboss.logging.Logger;
import t2i.clip.prompt.PromptTokenizer;
import t2i.pipeline.kafka.KafkaClients;
import t2i.pipeline.model.ModelDirectory;
import t2i.pipeline.model.ModelRegistry;
import t2i.pipeline.stage.StageConnections;

/**
 * The gateway's parts and their lifecycle: connections (topics created if missing), the model list,
 * request validation, job submission, and the job-event listener thread. Created at start-up;
 * closes the listener, then the connections.
 */
@Startup
@Singleton
public class Gateway {

  private static final Logger LOG = Logger.getLogger(Gateway.class);

  private final StageConnections connections;
  private final ModelRegistry models;
  private final RequestValidator validator;
  private final JobSubmitter submitter;
  private final JobViews views;
  private final JobWatchers watchers;
  private final JobEventListener listener;
  private final Thread listenerThread;

  Gateway(GatewayConfig config) {
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
    InstantSource clock = InstantSource.system();
    this.connections = StageConnections.open("gateway", config.kafka(), config.redis(), clock);
    this.validator =
        new RequestValidator(
            config.gateway(), models, tokenizers, config.models().maxPromptChunks());
    this.submitter =
        new JobSubmitter(
            connections.tracker(),
            connections.publisher(),
            connections.topics().jobs(),
            config.gateway().jobTimeout(),
            clock);
    this.views = new JobViews(connections.store());
    this.watchers = new JobWatchers(config.gateway().maxStreams());
    this.listener =
        new JobEventListener(
            KafkaClients.broadcastConsumer(connections.endpoint(), "gateway-events"),
            connections.topics().events(),
            watchers);
    listener.assignAll();
    this.listenerThread = Thread.ofPlatform().name("job-events").unstarted(listener);
    listenerThread.start();
    LOG.infof(
        "Gateway serving models %s (default %s)", models.names(), models.defaultModel().name());
  }

  ModelRegistry models() {
    return models;
  }

  RequestValidator validator() {
    return validator;
  }

  JobSubmitter submitter() {
    return submitter;
  }

  JobViews views() {
    return views;
  }

  JobWatchers watchers() {
    return watchers;
  }

  StageConnections connections() {
    return connections;
  }

  @PreDestroy
  void close() {
    listener.close();
    try {
      listenerThread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      connections.close();
    }
  }
}
