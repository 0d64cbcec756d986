package t2i.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import t2i.local.LocalStack;

/**
 * All of t2i on this machine: a Kafka broker and a Redis server (in this JVM, see {@link
 * LocalStack}) and the four services, each in its own JVM, configured to use them, and any further
 * gateway replicas added with {@link #addGateway}. The gateways run without authentication (every
 * caller is one anonymous tenant), as fits a cluster that only this machine reaches; {@code
 * t2i.gateway.auth.*} in the extra configuration turns it on. Owns all of it; {@link #close()}
 * stops the services and then the stack. Thread-safe.
 */
public final class LocalCluster implements AutoCloseable {

  /**
   * How to start the cluster.
   *
   * @param home the t2i checkout, with built services
   * @param modelsDir the directory of models every service reads
   * @param defaultModel the model used when a request names none
   * @param grpcPort the gateway's port; 0 picks a free one
   * @param logDir where each service's log goes
   * @param startTimeout how long the services may take to start
   * @param extraConfig more service configuration, e.g. {@code t2i.gateway.default-steps}
   */
  public record Options(
      Path home,
      Path modelsDir,
      Optional<String> defaultModel,
      int grpcPort,
      Path logDir,
      Duration startTimeout,
      Map<String, String> extraConfig) {

    public Options {
      extraConfig = Map.copyOf(extraConfig);
    }

    /**
     * The defaults for a checkout: its models with the trained demo model as the default, a free
     * port, logs under {@code .t2i/logs}.
     */
    public static Options forCheckout(Path home) {
      Path models = home.resolve("models");
      Optional<String> demoModel =
          Files.isRegularFile(models.resolve(DEMO_MODEL).resolve("model_index.json"))
              ? Optional.of(DEMO_MODEL)
              : Optional.empty();
      return new Options(
          home, models, demoModel, 0, home.resolve(".t2i/logs"), Duration.ofMinutes(3), Map.of());
    }

    public Options withGrpcPort(int port) {
      return new Options(home, modelsDir, defaultModel, port, logDir, startTimeout, extraConfig);
    }

    public Options withDefaultModel(String model) {
      return new Options(
          home, modelsDir, Optional.of(model), grpcPort, logDir, startTimeout, extraConfig);
    }

    public Options withLogDir(Path dir) {
      return new Options(home, modelsDir, defaultModel, grpcPort, dir, startTimeout, extraConfig);
    }

    public Options withExtraConfig(Map<String, String> config) {
      return new Options(home, modelsDir, defaultModel, grpcPort, logDir, startTimeout, config);
    }
  }

  private static final Duration POLL = Duration.ofMillis(200);

  /** The model that draws what its prompts say (see models/README.md). */
  static final String DEMO_MODEL = "shapes";

  private final LocalStack stack;
  private final List<ServiceProcess> services;
  private final int grpcPort;
  private final Options options;
  private final Map<String, String> serviceConfig;

  private LocalCluster(
      LocalStack stack,
      List<ServiceProcess> services,
      int grpcPort,
      Options options,
      Map<String, String> serviceConfig) {
    this.stack = stack;
    this.services = new CopyOnWriteArrayList<>(services);
    this.grpcPort = grpcPort;
    this.options = options;
    this.serviceConfig = Map.copyOf(serviceConfig);
  }

  /**
   * Starts everything and waits until every service is up.
   *
   * @param status hears one line per milestone
   * @throws IOException if a service cannot start; the message includes the end of its log
   */
  public static LocalCluster start(Options options, Consumer<String> status)
      throws IOException, InterruptedException {
    status.accept("starting Kafka and Redis");
    LocalStack stack = LocalStack.start();
    List<ServiceProcess> services = new ArrayList<>();
    try {
      int port = options.grpcPort() == 0 ? freePort() : options.grpcPort();
      Map<String, String> config = new LinkedHashMap<>(stack.serviceConfig());
      config.put("t2i.models.dir", options.modelsDir().toAbsolutePath().toString());
      options.defaultModel().ifPresent(m -> config.put("t2i.models.default-model", m));
      config.put("quarkus.grpc.server.port", Integer.toString(port));
      config.put("quarkus.grpc.server.host", "localhost");
      config.put("ai.djl.offline", "true");
      config.put("ai.djl.default_engine", "OnnxRuntime");
      // Only this machine reaches the local gateway; API keys would only be in the way here.
      config.put("t2i.gateway.auth.enabled", "false");
      config.putAll(options.extraConfig());
      status.accept("starting gateway, tokenizer-service, encoder-worker, diffusion-worker");
      for (Service service : Service.values()) {
        services.add(
            ServiceProcess.start(
                service, options.home(), options.logDir(), service.configOf(config), List.of()));
      }
      awaitStarted(services, options.startTimeout());
      status.accept("all services up; gateway at localhost:" + port);
      return new LocalCluster(stack, services, port, options, config);
    } catch (IOException | InterruptedException | RuntimeException e) {
      stopAll(services);
      stack.close();
      throw e;
    }
  }

  /**
   * Starts one more gateway replica, on a free port, sharing Kafka, Redis and the workers with the
   * first; waits until it is up. {@link #close()} stops it with the rest.
   *
   * @param extraConfig configuration of this replica only, over the cluster's
   * @return its gRPC address, {@code localhost:PORT}
   * @throws IOException if it cannot start; the message includes the end of its log
   */
  public synchronized String addGateway(Map<String, String> extraConfig)
      throws IOException, InterruptedException {
    int port = freePort();
    Map<String, String> config = new LinkedHashMap<>(serviceConfig);
    config.put("quarkus.grpc.server.port", Integer.toString(port));
    config.putAll(extraConfig);
    long replicas = services.stream().filter(s -> s.service() == Service.GATEWAY).count();
    ServiceProcess gateway =
        ServiceProcess.start(
            Service.GATEWAY,
            "gateway-" + (replicas + 1),
            options.home(),
            options.logDir(),
            Service.GATEWAY.configOf(config),
            List.of());
    services.add(gateway);
    awaitStarted(List.of(gateway), options.startTimeout());
    return "localhost:" + port;
  }

  private static void awaitStarted(List<ServiceProcess> services, Duration timeout)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<ServiceProcess> pending = new ArrayList<>(services);
    while (!pending.isEmpty()) {
      pending.removeIf(
          service -> {
            try {
              return service.isStarted();
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          });
      if (pending.isEmpty()) {
        return;
      }
      if (System.nanoTime() - deadline > 0) {
        ServiceProcess late = pending.getFirst();
        throw new IOException(
            late.name()
                + " did not start within "
                + timeout
                + "; its log "
                + late.log()
                + " ends with:\n"
                + late.logTail(30));
      }
      Thread.sleep(POLL);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** The gateway's gRPC address, {@code localhost:PORT}. */
  public String gatewayAddress() {
    return "localhost:" + grpcPort;
  }

  public String kafkaBootstrapServers() {
    return stack.kafkaBootstrapServers();
  }

  public String redisUrl() {
    return stack.redisUrl();
  }

  /** The first service that has exited, if any: a running cluster should have none. */
  public Optional<String> deadService() {
    return services.stream()
        .filter(s -> !s.isAlive())
        .findFirst()
        .map(s -> s.name() + " exited; its log " + s.log() + " ends with:\n" + s.logTail(30));
  }

  @Override
  public void close() {
    try {
      stopAll(services);
    } finally {
      stack.close();
    }
  }

  private static void stopAll(List<ServiceProcess> services) {
    // All at once: each drains its own work on SIGTERM, and waiting for one at a time adds up.
    services.forEach(ServiceProcess::requestStop);
    services.forEach(ServiceProcess::close);
  }
}
