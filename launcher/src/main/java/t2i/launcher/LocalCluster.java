package t2i.launcher;

import io.smallrye.config.Converters;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import t2i.local.LocalStack;
import t2i.local.StackEndpoints;

/**
 * All of t2i on this machine: a Kafka broker and a Redis server (in this JVM, see {@link
 * LocalStack}, unless the options name existing ones) and the services, each in its own JVM,
 * configured to use them, and any further gateway replicas and workers added later. The gateways
 * run without authentication (every caller is one anonymous tenant), as fits a cluster that only
 * this machine reaches; {@code t2i.gateway.auth.*} in the extra configuration turns it on.
 *
 * <p>A supervisor restarts a service that exits on its own (a crash, a fatal error), with doubling
 * backoff, and says so on the status channel. Each service instance has a stable name, which is
 * also its consumer group instance id, so a restarted worker takes its partitions back.
 *
 * <p>Owns all of it; {@link #close()} stops the services and then the stack. Thread-safe.
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
   * @param external an existing Kafka and Redis to use instead of starting them
   * @param instances how many instances of each service to start (one of each unless given; a
   *     worker may start with none, to be added later)
   */
  public record Options(
      Path home,
      Path modelsDir,
      Optional<String> defaultModel,
      int grpcPort,
      Path logDir,
      Duration startTimeout,
      Map<String, String> extraConfig,
      Optional<StackEndpoints> external,
      Map<Service, Integer> instances) {

    public Options {
      extraConfig = Map.copyOf(extraConfig);
      instances = Map.copyOf(instances);
    }

    public Options(
        Path home,
        Path modelsDir,
        Optional<String> defaultModel,
        int grpcPort,
        Path logDir,
        Duration startTimeout,
        Map<String, String> extraConfig) {
      this(
          home,
          modelsDir,
          defaultModel,
          grpcPort,
          logDir,
          startTimeout,
          extraConfig,
          Optional.empty(),
          Map.of());
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
      return new Options(
          home,
          modelsDir,
          defaultModel,
          port,
          logDir,
          startTimeout,
          extraConfig,
          external,
          instances);
    }

    public Options withDefaultModel(String model) {
      return new Options(
          home,
          modelsDir,
          Optional.of(model),
          grpcPort,
          logDir,
          startTimeout,
          extraConfig,
          external,
          instances);
    }

    public Options withLogDir(Path dir) {
      return new Options(
          home,
          modelsDir,
          defaultModel,
          grpcPort,
          dir,
          startTimeout,
          extraConfig,
          external,
          instances);
    }

    public Options withExtraConfig(Map<String, String> config) {
      return new Options(
          home,
          modelsDir,
          defaultModel,
          grpcPort,
          logDir,
          startTimeout,
          config,
          external,
          instances);
    }

    /** Uses an existing Kafka and Redis instead of starting them in this JVM. */
    public Options withExternalStack(StackEndpoints endpoints) {
      return new Options(
          home,
          modelsDir,
          defaultModel,
          grpcPort,
          logDir,
          startTimeout,
          extraConfig,
          Optional.of(endpoints),
          instances);
    }

    /** Starts {@code count} instances of {@code service} instead of one. */
    public Options withInstances(Service service, int count) {
      Map<Service, Integer> counts = new LinkedHashMap<>(instances);
      counts.put(service, count);
      return new Options(
          home,
          modelsDir,
          defaultModel,
          grpcPort,
          logDir,
          startTimeout,
          extraConfig,
          external,
          counts);
    }

    int instancesOf(Service service) {
      return Math.max(0, instances.getOrDefault(service, 1));
    }
  }

  private static final Duration POLL = Duration.ofMillis(200);

  /** The model that draws what its prompts say (see models/README.md). */
  static final String DEMO_MODEL = "shapes";

  private final Optional<LocalStack> stack;
  private final StackEndpoints endpoints;
  private final int grpcPort;
  private final Options options;
  private final Map<String, String> serviceConfig;
  private final Supervisor supervisor;

  private LocalCluster(
      Optional<LocalStack> stack,
      StackEndpoints endpoints,
      int grpcPort,
      Options options,
      Map<String, String> serviceConfig,
      Supervisor supervisor) {
    this.stack = stack;
    this.endpoints = endpoints;
    this.grpcPort = grpcPort;
    this.options = options;
    this.serviceConfig = Map.copyOf(serviceConfig);
    this.supervisor = supervisor;
  }

  /**
   * Starts everything and waits until every service is up.
   *
   * @param status hears one line per milestone, and later each restart of a service
   * @throws IOException if a service cannot start; the message includes the end of its log
   */
  public static LocalCluster start(Options options, Consumer<String> status)
      throws IOException, InterruptedException {
    Optional<LocalStack> stack = Optional.empty();
    StackEndpoints endpoints;
    if (options.external().isPresent()) {
      endpoints = options.external().get();
    } else {
      status.accept("starting Kafka and Redis");
      stack = Optional.of(LocalStack.start());
      endpoints = stack.get().endpoints();
    }
    Supervisor supervisor = new Supervisor(options.home(), options.logDir(), status);
    try {
      int port = options.grpcPort() == 0 ? freePort() : options.grpcPort();
      Map<String, String> config = new LinkedHashMap<>(endpoints.serviceConfig());
      config.put("t2i.models.dir", options.modelsDir().toAbsolutePath().toString());
      options.defaultModel().ifPresent(m -> config.put("t2i.models.default-model", m));
      config.put("quarkus.grpc.server.port", Integer.toString(port));
      config.put("quarkus.grpc.server.host", "localhost");
      config.put("ai.djl.offline", "true");
      config.put("ai.djl.default_engine", "OnnxRuntime");
      // Only this machine reaches the local gateway; API keys would only be in the way here.
      config.put("t2i.gateway.auth.enabled", "false");
      config.putAll(options.extraConfig());
      List<Service> services = new ArrayList<>(Arrays.asList(Service.values()));
      if (!callbacksAllowed(config)) {
        // No job can name a callback, so the notifier would only read every event for nothing.
        services.remove(Service.NOTIFIER);
        status.accept(
            "not starting the notifier: the gateway accepts no callbacks"
                + " (--set t2i.gateway.callbacks.allowed-schemes=http,https to allow them)");
      }
      if (publishesTokenized(config)) {
        // The gateway hands jobs straight to the encoders: the tokenizer service would get none.
        services.remove(Service.TOKENIZER);
        status.accept(
            "not starting the tokenizer service: the gateway queues jobs tokenized"
                + " (t2i.gateway.publish-tokenized)");
      }
      status.accept(
          "starting " + String.join(", ", services.stream().map(Service::module).toList()));
      List<String> started = new ArrayList<>();
      for (Service service : services) {
        for (int i = 1; i <= options.instancesOf(service); i++) {
          String name = i == 1 ? service.module() : service.module() + "-" + i;
          Map<String, String> own = new LinkedHashMap<>(config);
          if (service != Service.GATEWAY || i > 1) {
            own.remove("quarkus.grpc.server.port");
          }
          supervisor.launch(service, name, own, List.of());
          started.add(name);
        }
      }
      supervisor.awaitStarted(started, options.startTimeout());
      supervisor.start();
      status.accept("all services up; gateway at localhost:" + port);
      return new LocalCluster(stack, endpoints, port, options, config, supervisor);
    } catch (IOException | InterruptedException | RuntimeException e) {
      supervisor.close();
      stack.ifPresent(LocalStack::close);
      throw e;
    }
  }

  /**
   * Whether the gateway will accept callback URLs ({@code t2i.gateway.callbacks.allowed-schemes}).
   */
  static boolean callbacksAllowed(Map<String, String> config) {
    String schemes = config.get("t2i.gateway.callbacks.allowed-schemes");
    return schemes != null && !schemes.isBlank();
  }

  /**
   * Whether the gateway will queue jobs already tokenized ({@code t2i.gateway.publish-tokenized}),
   * read as the services' configuration reads a boolean.
   */
  static boolean publishesTokenized(Map<String, String> config) {
    String value = config.get("t2i.gateway.publish-tokenized");
    return value != null
        && Boolean.TRUE.equals(
            Converters.getImplicitConverter(Boolean.class).convert(value.strip()));
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
    add(Service.GATEWAY, config);
    return "localhost:" + port;
  }

  /**
   * Starts one more instance of a worker service and waits until it is up.
   *
   * @return its name
   */
  public synchronized String addInstance(Service service, Map<String, String> extraConfig)
      throws IOException, InterruptedException {
    return addInstance(service, extraConfig, List.of());
  }

  /**
   * As {@link #addInstance(Service, Map)}, started through {@code commandPrefix} (e.g. {@code
   * taskset -c 1} to pin it to a core).
   */
  public synchronized String addInstance(
      Service service, Map<String, String> extraConfig, List<String> commandPrefix)
      throws IOException, InterruptedException {
    Map<String, String> config = new LinkedHashMap<>(serviceConfig);
    config.remove("quarkus.grpc.server.port");
    config.putAll(extraConfig);
    return add(service, config, commandPrefix);
  }

  private String add(Service service, Map<String, String> config)
      throws IOException, InterruptedException {
    return add(service, config, List.of());
  }

  private String add(Service service, Map<String, String> config, List<String> commandPrefix)
      throws IOException, InterruptedException {
    int n = supervisor.names(service).size() + 1;
    String name = n == 1 ? service.module() : service.module() + "-" + n;
    supervisor.launch(service, name, config, commandPrefix);
    supervisor.awaitStarted(List.of(name), options.startTimeout());
    return name;
  }

  /** Where an instance serves its health and metrics: {@code http://localhost:PORT}. */
  public String managementUrl(String name) {
    return "http://localhost:" + supervisor.managementPort(name);
  }

  /** The Prometheus endpoints of every instance that runs, by instance name. */
  public Map<String, String> metricsUrls() {
    Map<String, String> urls = new LinkedHashMap<>();
    // An instance stopped on purpose (terminated, or killed and held) has no metrics to read.
    List<String> running = supervisor.runningNames();
    for (Service service : Service.values()) {
      for (String name : supervisor.names(service)) {
        if (!running.contains(name)) {
          continue;
        }
        urls.put(name, managementUrl(name) + "/q/metrics");
      }
    }
    return urls;
  }

  /** The names of a service's instances, in the order they were added. */
  public List<String> instances(Service service) {
    return supervisor.names(service);
  }

  /**
   * Kills an instance at once (SIGKILL), as a crash would; the supervisor restarts it like any
   * service that died.
   */
  public void kill(String name) {
    supervisor.kill(name, false);
  }

  /** Kills an instance (SIGKILL) and keeps it down until {@link #restart}. */
  public void killAndHold(String name) {
    supervisor.kill(name, true);
  }

  /**
   * Stops an instance in order (SIGTERM), as Kubernetes does, keeps it down until {@link #restart},
   * and returns its exit status.
   *
   * @throws IllegalStateException if it is still running after {@code timeout}
   */
  public int terminate(String name, Duration timeout) throws InterruptedException {
    return supervisor.terminate(name, timeout);
  }

  /** Starts a held instance again under its name and waits until it is up. */
  public void restart(String name) throws IOException, InterruptedException {
    supervisor.release(name);
    supervisor.awaitStarted(List.of(name), options.startTimeout());
  }

  /** Waits until every instance that is not held down has started (after restarts, say). */
  public void awaitAllStarted() throws IOException, InterruptedException {
    supervisor.awaitStarted(supervisor.runningNames(), options.startTimeout());
  }

  /** The log file of an instance; each start appends to it after a marker line. */
  public Path log(String name) {
    return supervisor.log(name);
  }

  /** CPU time an instance's current process has used (for benchmarks). */
  public Duration cpuTime(String name) {
    return supervisor.cpuTime(name);
  }

  /** How many times the supervisor has restarted services on its own. */
  public int restarts() {
    return supervisor.restarts();
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

  /** The first gateway's web page, {@code http://localhost:PORT/}. */
  public String webAddress() {
    return "http://localhost:" + supervisor.httpPort(Service.GATEWAY.module()) + "/";
  }

  public String kafkaBootstrapServers() {
    return endpoints.kafkaBootstrapServers();
  }

  public String redisUrl() {
    return endpoints.redisUrl();
  }

  /** An instance that has exited and is not held down or restarting, if any. */
  public Optional<String> deadService() {
    return supervisor.deadService();
  }

  @Override
  public void close() {
    try {
      supervisor.close();
    } finally {
      stack.ifPresent(LocalStack::close);
    }
  }

  /** Starts, watches and restarts the service instances; owns their processes. */
  private static final class Supervisor implements AutoCloseable {

    private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    /** An instance that stayed up this long has recovered: its next crash starts over. */
    private static final Duration STABLE = Duration.ofMinutes(1);

    private final Path home;
    private final Path logDir;
    private final Consumer<String> status;
    private final Map<String, Instance> instances = new LinkedHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread thread;
    private int restarts;

    private static final class Instance {
      final Service service;
      final String name;
      final Map<String, String> config;
      final List<String> commandPrefix;
      ServiceProcess process;
      boolean held;
      long startedAtNanos;
      long restartAtNanos;
      Duration backoff = FIRST_BACKOFF;

      /** An instance whose process has just been started. */
      Instance(
          Service service,
          String name,
          Map<String, String> config,
          List<String> commandPrefix,
          ServiceProcess process) {
        this.service = service;
        this.name = name;
        this.config = config;
        this.commandPrefix = commandPrefix;
        this.process = process;
        this.startedAtNanos = System.nanoTime();
      }
    }

    Supervisor(Path home, Path logDir, Consumer<String> status) {
      this.home = home;
      this.logDir = logDir;
      this.status = status;
      this.thread = Thread.ofPlatform().name("t2i-supervisor").daemon(true).unstarted(this::watch);
    }

    void start() {
      thread.start();
    }

    synchronized void launch(
        Service service, String name, Map<String, String> clusterConfig, List<String> prefix)
        throws IOException {
      Map<String, String> config = new LinkedHashMap<>(clusterConfig);
      // The instance's name is its stable identity in its consumer group (static membership).
      config.put("t2i.kafka.group-instance-id", name);
      config.put("quarkus.management.port", Integer.toString(freePort()));
      if (service == Service.GATEWAY) {
        // The web page; only this machine reaches it, like the gRPC port.
        config.putIfAbsent("quarkus.http.port", Integer.toString(freePort()));
        config.putIfAbsent("quarkus.http.host", "localhost");
      }
      Map<String, String> serviceConfig = service.configOf(config);
      List<String> commandPrefix = List.copyOf(prefix);
      // Registered only once its process runs, so that every instance has one.
      ServiceProcess process = startProcess(service, name, serviceConfig, commandPrefix);
      instances.put(name, new Instance(service, name, serviceConfig, commandPrefix, process));
    }

    private void spawn(Instance instance) throws IOException {
      instance.process =
          startProcess(instance.service, instance.name, instance.config, instance.commandPrefix);
      instance.startedAtNanos = System.nanoTime();
      instance.restartAtNanos = 0;
    }

    private ServiceProcess startProcess(
        Service service, String name, Map<String, String> config, List<String> commandPrefix)
        throws IOException {
      return ServiceProcess.start(service, name, home, logDir, config, List.of(), commandPrefix);
    }

    synchronized List<String> names(Service service) {
      return instances.values().stream()
          .filter(i -> i.service == service)
          .map(i -> i.name)
          .toList();
    }

    synchronized List<String> runningNames() {
      return instances.values().stream().filter(i -> !i.held).map(i -> i.name).toList();
    }

    synchronized String managementPort(String name) {
      return instance(name).config.getOrDefault("quarkus.management.port", "");
    }

    synchronized String httpPort(String name) {
      return instance(name).config.getOrDefault("quarkus.http.port", "");
    }

    synchronized Path log(String name) {
      return instance(name).process.log();
    }

    synchronized Duration cpuTime(String name) {
      return instance(name).process.cpuTime();
    }

    synchronized int restarts() {
      return restarts;
    }

    private Instance instance(String name) {
      Instance instance = instances.get(name);
      if (instance == null) {
        throw new IllegalArgumentException("no service instance named " + name);
      }
      return instance;
    }

    synchronized void kill(String name, boolean hold) {
      Instance instance = instance(name);
      instance.held = hold;
      instance.process.kill();
    }

    int terminate(String name, Duration timeout) throws InterruptedException {
      ServiceProcess process;
      synchronized (this) {
        Instance instance = instance(name);
        instance.held = true;
        process = instance.process;
      }
      return process.terminate(timeout);
    }

    synchronized void release(String name) throws IOException {
      Instance instance = instance(name);
      if (!instance.held) {
        return;
      }
      instance.held = false;
      spawn(instance);
    }

    synchronized Optional<String> deadService() {
      return instances.values().stream()
          .filter(i -> !i.held && !i.process.isAlive())
          .findFirst()
          .map(
              i ->
                  i.name
                      + " exited; its log "
                      + i.process.log()
                      + " ends with:\n"
                      + i.process.logTail(30));
    }

    void awaitStarted(List<String> names, Duration timeout)
        throws IOException, InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      List<String> pending = new ArrayList<>(names);
      while (!pending.isEmpty()) {
        synchronized (this) {
          pending.removeIf(
              name -> {
                try {
                  return instance(name).process.isStarted();
                } catch (IOException e) {
                  if (closed.get() || thread.isAlive()) {
                    // The supervisor will restart it; keep waiting for the next start.
                    return false;
                  }
                  throw new UncheckedIOException(e);
                }
              });
        }
        if (pending.isEmpty()) {
          return;
        }
        if (System.nanoTime() - deadline > 0) {
          ServiceProcess late;
          synchronized (this) {
            late = instance(pending.getFirst()).process;
          }
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

    /** Restarts instances that exited on their own, each after its backoff. */
    private void watch() {
      while (!closed.get()) {
        try {
          Thread.sleep(500);
        } catch (InterruptedException e) {
          return;
        }
        synchronized (this) {
          if (closed.get()) {
            return;
          }
          long now = System.nanoTime();
          for (Instance instance : instances.values()) {
            if (instance.held || instance.process.isAlive()) {
              if (!instance.held && now - instance.startedAtNanos > STABLE.toNanos()) {
                instance.backoff = FIRST_BACKOFF;
              }
              continue;
            }
            if (instance.restartAtNanos == 0) {
              instance.restartAtNanos = now + instance.backoff.toNanos();
              status.accept(
                  instance.name
                      + " exited with status "
                      + instance.process.exitStatus()
                      + "; restarting it in "
                      + instance.backoff.toSeconds()
                      + " s (log: "
                      + instance.process.log()
                      + ")");
              Duration doubled = instance.backoff.multipliedBy(2);
              instance.backoff = doubled.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : doubled;
            } else if (now - instance.restartAtNanos >= 0) {
              try {
                spawn(instance);
                restarts++;
              } catch (IOException e) {
                status.accept("could not restart " + instance.name + ": " + e.getMessage());
                instance.restartAtNanos = 0;
              }
            }
          }
        }
      }
    }

    @Override
    public void close() {
      closed.set(true);
      thread.interrupt();
      List<ServiceProcess> processes;
      synchronized (this) {
        processes = instances.values().stream().map(i -> i.process).toList();
      }
      // All at once: each drains its own work on SIGTERM, and waiting for one at a time adds up.
      processes.forEach(ServiceProcess::requestStop);
      processes.forEach(ServiceProcess::close);
    }
  }
}
