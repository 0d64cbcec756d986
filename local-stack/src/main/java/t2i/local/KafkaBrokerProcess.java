package t2i.local;

import static java.util.concurrent.TimeUnit.MILLISECONDS;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import org.jboss.logging.Logger;
import org.jspecify.annotations.Nullable;

/**
 * A real Kafka broker in a JVM of its own ({@code kafka.Kafka}, one-node KRaft, on loopback), on
 * fixed ports and a data directory that outlive it: it can be killed, stopped and started again as
 * the same broker with its topics and offsets, as an operator's broker would be. For fault tests;
 * {@link LocalKafka} is the in-process broker for everything else.
 *
 * <p>Owns its process; {@link #close()} stops it. The data directory is the caller's.
 */
public final class KafkaBrokerProcess implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(KafkaBrokerProcess.class);
  private static final Duration STARTUP_TIMEOUT = Duration.ofMinutes(2);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

  private final String host;
  private final List<String> commandPrefix;
  private final Path dataDir;
  private final int brokerPort;
  private final int controllerPort;
  private final Path log;
  private @Nullable Process process;

  private KafkaBrokerProcess(
      String host,
      List<String> commandPrefix,
      Path dataDir,
      int brokerPort,
      int controllerPort,
      Path log) {
    this.host = host;
    this.commandPrefix = List.copyOf(commandPrefix);
    this.dataDir = dataDir;
    this.brokerPort = brokerPort;
    this.controllerPort = controllerPort;
    this.log = log;
  }

  /**
   * Formats {@code dataDir} if needed, starts the broker on free ports and returns once it serves
   * metadata.
   *
   * @param log where the broker's output goes (appended across restarts)
   */
  public static KafkaBrokerProcess start(Path dataDir, Path log) {
    return start(dataDir, log, FreePorts.LOOPBACK_HOST, List.of());
  }

  /**
   * As {@link #start(Path, Path)}, listening on {@code host}, and started through {@code
   * commandPrefix} (e.g. {@code ip netns exec HOST}, to run it on another network host).
   */
  public static KafkaBrokerProcess start(
      Path dataDir, Path log, String host, List<String> commandPrefix) {
    int[] ports;
    try {
      ports = FreePorts.pick(2);
    } catch (IOException e) {
      throw new StartupException("Could not pick ports for a Kafka broker", e);
    }
    KafkaBrokerProcess broker =
        new KafkaBrokerProcess(host, commandPrefix, dataDir, ports[0], ports[1], log);
    broker.startAgain();
    return broker;
  }

  /** {@code host:port} of the broker, for {@code bootstrap.servers}; the same across restarts. */
  public String bootstrapServers() {
    return host + ":" + brokerPort;
  }

  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Starts the broker again on the same ports and data; returns once it serves metadata. */
  public synchronized void startAgain() {
    if (isRunning()) {
      throw new IllegalStateException("the broker at " + bootstrapServers() + " is running");
    }
    Properties properties =
        BrokerConfig.properties(
            host,
            dataDir,
            brokerPort,
            controllerPort,
            LocalKafka.Settings.DEFAULTS.numPartitions(),
            STARTUP_TIMEOUT);
    Path config = dataDir.resolveSibling(dataDir.getFileName() + ".properties");
    Process started;
    try {
      Files.createDirectories(dataDir);
      StorageFormat.formatIfNeeded(dataDir, properties);
      try (OutputStream out = Files.newOutputStream(config)) {
        properties.store(out, "t2i test broker");
      }
      Files.createDirectories(log.toAbsolutePath().getParent());
      List<String> command = new ArrayList<>(commandPrefix);
      command.add(ProcessHandle.current().info().command().orElse("java"));
      command.add("-Xmx512m");
      command.add("-XX:+UseSerialGC");
      command.add("-cp");
      command.add(System.getProperty("java.class.path"));
      command.add("kafka.Kafka");
      command.add(config.toString());
      started =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
    } catch (IOException e) {
      throw new StartupException("Could not start a Kafka broker on " + dataDir, e);
    }
    process = started;
    long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
    try {
      LocalKafka.awaitReady(bootstrapServers(), deadline, STARTUP_TIMEOUT);
    } catch (RuntimeException e) {
      started.destroyForcibly();
      throw new StartupException(
          "The Kafka broker at " + bootstrapServers() + " did not start; see " + log, e);
    }
    LOG.infof("Kafka broker process ready at %s (data in %s)", bootstrapServers(), dataDir);
  }

  /** Kills the broker at once (SIGKILL), as a crash or a lost machine would. */
  public synchronized void kill() {
    Process running = process;
    if (running != null) {
      running.destroyForcibly();
      awaitExit(running);
    }
  }

  /** Stops the broker in order (SIGTERM) and waits for it. */
  public synchronized void stop() {
    Process running = process;
    if (running != null) {
      running.destroy();
      if (!awaitExit(running)) {
        running.destroyForcibly();
        awaitExit(running);
      }
    }
  }

  private static boolean awaitExit(Process running) {
    try {
      return running.waitFor(STOP_TIMEOUT.toMillis(), MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running.destroyForcibly();
      return false;
    }
  }

  @Override
  public synchronized void close() {
    stop();
  }

  @Override
  public String toString() {
    return "KafkaBrokerProcess[" + bootstrapServers() + ", " + Objects.toString(dataDir) + "]";
  }
}
