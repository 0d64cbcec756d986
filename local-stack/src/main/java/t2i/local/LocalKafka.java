package t2i.local;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.NANOSECONDS;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.utils.Time;
import org.jboss.logging.Logger;

/**
 * A real Kafka broker running inside this JVM: a one-node KRaft cluster (broker and controller in
 * one server) listening on random loopback ports.
 *
 * <p>{@link #start} returns once the broker answers an Admin {@code describeCluster}. The instance
 * owns the server and, when it created the data directory itself, that directory too: {@link
 * #close()} stops the server, waits for it, and deletes an owned directory. A caller-supplied
 * directory is kept, and a later start on it finds its topics again.
 *
 * <p>Thread-safe: the accessors are immutable and {@link #close()} acts once.
 *
 * <p>Starting a broker lowers the broker's log categories to WARN where the host has not configured
 * them (see {@link KafkaLogLevels}).
 */
public final class LocalKafka implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(LocalKafka.class);

  /** Another process may take a picked port before the server binds it; then we pick again. */
  private static final int BIND_ATTEMPTS = 5;

  /** How the broker is sized and how long its start may take. */
  public record Settings(int numPartitions, Duration startupTimeout) {

    /** Four partitions for topics created without a count, and one minute to start. */
    public static final Settings DEFAULTS = new Settings(4, Duration.ofMinutes(1));

    public Settings {
      if (numPartitions < 1) {
        throw new IllegalArgumentException(
            "numPartitions must be at least 1, got " + numPartitions);
      }
      Objects.requireNonNull(startupTimeout, "startupTimeout");
      if (startupTimeout.isNegative() || startupTimeout.isZero()) {
        throw new IllegalArgumentException(
            "startupTimeout must be positive, got " + startupTimeout);
      }
    }

    /** {@code num.partitions}: the partition count of topics created without one. */
    public Settings withNumPartitions(int partitions) {
      return new Settings(partitions, startupTimeout);
    }

    public Settings withStartupTimeout(Duration timeout) {
      return new Settings(numPartitions, timeout);
    }
  }

  private final KafkaRaftServer server;
  private final String bootstrapServers;
  private final Path dataDir;
  private final boolean ownsDataDir;
  private final AtomicBoolean closed = new AtomicBoolean();

  private LocalKafka(
      KafkaRaftServer server, String bootstrapServers, Path dataDir, boolean ownsDataDir) {
    this.server = server;
    this.bootstrapServers = bootstrapServers;
    this.dataDir = dataDir;
    this.ownsDataDir = ownsDataDir;
  }

  /** Starts a broker on a new temporary directory, which {@link #close()} deletes. */
  public static LocalKafka start() {
    return start(Settings.DEFAULTS);
  }

  /** Starts a broker on a new temporary directory, which {@link #close()} deletes. */
  public static LocalKafka start(Settings settings) {
    Path dir;
    try {
      dir = Files.createTempDirectory("local-kafka-");
    } catch (IOException e) {
      throw new StartupException("Could not create a data directory for Kafka", e);
    }
    return start(dir, true, settings);
  }

  /**
   * Starts a broker that keeps its logs and metadata in {@code dataDir}, created and formatted if
   * needed. The caller owns the directory: {@link #close()} leaves it in place.
   */
  public static LocalKafka start(Path dataDir) {
    return start(dataDir, Settings.DEFAULTS);
  }

  /** As {@link #start(Path)}, with the given settings. */
  public static LocalKafka start(Path dataDir, Settings settings) {
    return start(dataDir, false, settings);
  }

  private static LocalKafka start(Path dataDir, boolean ownsDataDir, Settings settings) {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(settings, "settings");
    try {
      return withKafkaContextLoader(() -> startServer(dataDir, ownsDataDir, settings));
    } catch (RuntimeException | Error e) {
      if (ownsDataDir) {
        deleteQuietly(dataDir, e);
      }
      throw e;
    }
  }

  private static LocalKafka startServer(Path dataDir, boolean ownsDataDir, Settings settings) {
    long startNanos = System.nanoTime();
    long deadlineNanos = startNanos + settings.startupTimeout().toNanos();
    KafkaLogLevels.quietBroker();
    for (int attempt = 1; ; attempt++) {
      int[] ports;
      Properties properties;
      try {
        Files.createDirectories(dataDir);
        ports = FreePorts.pick(2);
        properties =
            BrokerConfig.properties(
                dataDir, ports[0], ports[1], settings.numPartitions(), remaining(deadlineNanos));
        StorageFormat.formatIfNeeded(dataDir, properties);
      } catch (IOException e) {
        throw new StartupException("Could not prepare Kafka storage in " + dataDir, e);
      }
      KafkaRaftServer server;
      try {
        server = new KafkaRaftServer(new KafkaConfig(properties), Time.SYSTEM);
      } catch (RuntimeException e) {
        throw new StartupException("Kafka rejected its configuration for " + dataDir + ": " + e, e);
      }
      try {
        server.startup();
      } catch (RuntimeException e) {
        stopQuietly(server, e);
        if (isBindFailure(e) && attempt < BIND_ATTEMPTS) {
          LOG.debugf("Kafka lost a picked port to another process, retrying: %s", e);
          continue;
        }
        throw new StartupException("Kafka broker failed to start on " + dataDir + ": " + e, e);
      }
      String bootstrapServers = FreePorts.LOOPBACK_HOST + ":" + ports[0];
      try {
        awaitReady(bootstrapServers, deadlineNanos, settings.startupTimeout());
      } catch (RuntimeException e) {
        stopQuietly(server, e);
        throw e;
      }
      LOG.infof(
          "Kafka broker ready at %s in %d ms (data in %s)",
          bootstrapServers, NANOSECONDS.toMillis(System.nanoTime() - startNanos), dataDir);
      return new LocalKafka(server, bootstrapServers, dataDir, ownsDataDir);
    }
  }

  /** Returns once the broker serves metadata: the first thing every client asks for. */
  static void awaitReady(String bootstrapServers, long deadlineNanos, Duration bound) {
    long remainingMs = remaining(deadlineNanos).toMillis();
    int requestTimeoutMs = (int) Math.min(remainingMs, 5_000);
    Map<String, Object> config =
        Map.of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers,
            AdminClientConfig.CLIENT_ID_CONFIG,
            "local-kafka-readiness",
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
            requestTimeoutMs,
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
            (int) Math.max(remainingMs, requestTimeoutMs));
    try (Admin admin = Admin.create(config)) {
      Collection<Node> nodes = admin.describeCluster().nodes().get(remainingMs, MILLISECONDS);
      if (nodes.isEmpty()) {
        throw new StartupException("Kafka broker at " + bootstrapServers + " reports no nodes");
      }
    } catch (ExecutionException | TimeoutException e) {
      throw new StartupException(
          "Kafka broker at " + bootstrapServers + " did not become ready within " + bound, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StartupException("Interrupted while waiting for Kafka at " + bootstrapServers, e);
    }
  }

  /** {@code host:port} of the broker listener, for {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** Where the broker keeps its logs and metadata. */
  public Path dataDir() {
    return dataDir;
  }

  /** Stops the broker and waits until it has stopped; deletes the data directory if owned. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    withKafkaContextLoader(
        () -> {
          server.shutdown();
          server.awaitShutdown();
          return null;
        });
    LOG.debugf("Kafka broker at %s stopped", bootstrapServers);
    if (ownsDataDir) {
      try {
        Directories.deleteRecursively(dataDir);
      } catch (IOException e) {
        throw new UncheckedIOException("Could not delete Kafka data in " + dataDir, e);
      }
    }
  }

  @Override
  public String toString() {
    return "LocalKafka[" + bootstrapServers + ", " + dataDir + "]";
  }

  /**
   * Runs {@code action} with the class loader that loaded Kafka as context class loader. Kafka
   * loads configured classes (metric reporters, principal builders) through the context loader, and
   * its threads inherit it; under a framework that loads tests in their own class loader, that
   * loader would hand Kafka a second, incompatible copy of its own classes.
   */
  private static <T> T withKafkaContextLoader(Supplier<T> action) {
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    thread.setContextClassLoader(KafkaRaftServer.class.getClassLoader());
    try {
      return action.get();
    } finally {
      thread.setContextClassLoader(previous);
    }
  }

  private static Duration remaining(long deadlineNanos) {
    long nanos = deadlineNanos - System.nanoTime();
    // Kafka rejects a zero bound; one millisecond still fails fast.
    return Duration.ofNanos(Math.max(nanos, MILLISECONDS.toNanos(1)));
  }

  private static boolean isBindFailure(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof BindException
          || (t.getMessage() != null && t.getMessage().contains("Address already in use"))) {
        return true;
      }
    }
    return false;
  }

  private static void stopQuietly(KafkaRaftServer server, Throwable failure) {
    try {
      server.shutdown();
      server.awaitShutdown();
    } catch (RuntimeException e) {
      failure.addSuppressed(e);
    }
  }

  private static void deleteQuietly(Path dir, Throwable failure) {
    try {
      Directories.deleteRecursively(dir);
    } catch (IOException | RuntimeException e) {
      failure.addSuppressed(e);
    }
  }
}
