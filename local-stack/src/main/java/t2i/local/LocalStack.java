package t2i.local;

import static java.util.concurrent.TimeUnit.NANOSECONDS;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * A Kafka broker and a Redis server for tests and the local launcher, started together.
 *
 * <p>The stack owns both servers and one temporary directory that holds their data. {@link
 * #close()} stops Kafka, then Redis (the reverse of the order they were started in), then deletes
 * the directory.
 *
 * <p>Thread-safe: the accessors are immutable and {@link #close()} acts once. Tests that only need
 * the servers share one stack per JVM through {@link SharedLocalStack}.
 */
public final class LocalStack implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(LocalStack.class);

  private final Path directory;
  private final LocalRedis redis;
  private final LocalKafka kafka;
  private final AtomicBoolean closed = new AtomicBoolean();

  private LocalStack(Path directory, LocalRedis redis, LocalKafka kafka) {
    this.directory = directory;
    this.redis = redis;
    this.kafka = kafka;
  }

  /** Starts Redis and a broker with {@link LocalKafka.Settings#DEFAULTS}. */
  public static LocalStack start() {
    return start(LocalKafka.Settings.DEFAULTS);
  }

  /**
   * Starts Redis and a broker with {@code kafkaSettings}, and returns once both answer.
   *
   * @throws StartupException if either does not come up; whatever did start is stopped again
   */
  public static LocalStack start(LocalKafka.Settings kafkaSettings) {
    Objects.requireNonNull(kafkaSettings, "kafkaSettings");
    long startNanos = System.nanoTime();
    Path directory;
    try {
      directory = Files.createTempDirectory("local-stack-");
    } catch (IOException e) {
      throw new StartupException("Could not create a directory for the local stack", e);
    }
    // Redis starts beside the broker, so the stack is up about as soon as the broker is.
    FutureTask<LocalRedis> redisStart =
        new FutureTask<>(() -> LocalRedis.start(directory.resolve("redis")));
    Thread.ofPlatform().daemon().name("local-stack-redis-start").start(redisStart);
    LocalKafka kafka = null;
    try {
      kafka = LocalKafka.start(directory.resolve("kafka"), kafkaSettings);
      LocalStack stack = new LocalStack(directory, awaitRedis(redisStart), kafka);
      LOG.infof(
          "Local stack up in %d ms: Kafka at %s, Redis at %s",
          NANOSECONDS.toMillis(System.nanoTime() - startNanos),
          stack.kafkaBootstrapServers(),
          stack.redisUrl());
      return stack;
    } catch (RuntimeException | Error e) {
      if (kafka != null) {
        closeQuietly(kafka, e);
      }
      stopRedisIfStarted(redisStart, e);
      try {
        Directories.deleteRecursively(directory);
      } catch (IOException | RuntimeException deleteFailure) {
        e.addSuppressed(deleteFailure);
      }
      throw e;
    }
  }

  private static void stopRedisIfStarted(FutureTask<LocalRedis> redisStart, Throwable failure) {
    try {
      closeQuietly(redisStart.get(), failure);
    } catch (ExecutionException notStarted) {
      if (notStarted.getCause() != failure) {
        failure.addSuppressed(notStarted.getCause());
      }
    } catch (InterruptedException e) {
      // Interrupting the start makes it stop the process it launched.
      redisStart.cancel(true);
      Thread.currentThread().interrupt();
    }
  }

  private static LocalRedis awaitRedis(FutureTask<LocalRedis> redisStart) {
    try {
      return redisStart.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw new StartupException("Redis failed to start: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StartupException("Interrupted while waiting for Redis to start", e);
    }
  }

  /** {@code host:port} of the Kafka broker, for {@code bootstrap.servers}. */
  public String kafkaBootstrapServers() {
    return kafka.bootstrapServers();
  }

  /** {@code redis://127.0.0.1:PORT} of the Redis server. */
  public String redisUrl() {
    return redis.url();
  }

  public StackEndpoints endpoints() {
    return new StackEndpoints(kafkaBootstrapServers(), redisUrl());
  }

  /**
   * {@code t2i.kafka.bootstrap-servers} and {@code t2i.redis.url}: the configuration that points a
   * service at this stack.
   */
  public Map<String, String> serviceConfig() {
    return endpoints().serviceConfig();
  }

  /** The directory holding both servers' data; {@link #close()} deletes it. */
  public Path directory() {
    return directory;
  }

  /** Stops Kafka, then Redis, then deletes the stack's directory; each step runs regardless. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    RuntimeException failure = new IllegalStateException("Could not close " + this);
    closeQuietly(kafka, failure);
    closeQuietly(redis, failure);
    try {
      Directories.deleteRecursively(directory);
    } catch (IOException e) {
      failure.addSuppressed(new UncheckedIOException(e));
    }
    if (failure.getSuppressed().length > 0) {
      throw failure;
    }
  }

  @Override
  public String toString() {
    return "LocalStack[" + kafka.bootstrapServers() + ", " + redis.url() + "]";
  }

  private static void closeQuietly(AutoCloseable resource, Throwable failure) {
    try {
      resource.close();
    } catch (Exception | LinkageError e) {
      // LinkageError: a class loader that was closed under us; the next resource still closes.
      failure.addSuppressed(e);
    }
  }
}
