package t2i.local;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.NANOSECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * A real Redis server in a child process, bound to a loopback port (random unless given), keeping
 * its data in an append-only file fsynced every second, as production Redis for t2i should: a
 * restart on the same directory finds the data again.
 *
 * <p>The binary is {@code redis-server} from {@code PATH} when installed, else the one that
 * embedded-redis bundles. {@link #start} returns once the server answers {@code PING}. The instance
 * owns the process and, when it created the working directory itself, that directory too: {@link
 * #close()} stops the process, waits for it to exit, and deletes an owned directory. A JVM that
 * exits without closing still stops the process, through a shutdown hook.
 *
 * <p>Thread-safe: the accessors are immutable and {@link #close()} acts once.
 */
public final class LocalRedis implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(LocalRedis.class);

  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  /** Another process may take the picked port before Redis binds it; then we pick again. */
  private static final int BIND_ATTEMPTS = 5;

  private final Process process;
  private final String host;
  private final int port;
  private final RedisExecutable executable;
  private final Path workDir;
  private final boolean ownsWorkDir;
  private final OutputTail output;
  private final Thread stopOnExit;
  private final AtomicBoolean closed = new AtomicBoolean();

  private LocalRedis(
      Process process,
      String host,
      int port,
      RedisExecutable executable,
      Path workDir,
      boolean ownsWorkDir,
      OutputTail output) {
    this.process = process;
    this.host = host;
    this.port = port;
    this.executable = executable;
    this.workDir = workDir;
    this.ownsWorkDir = ownsWorkDir;
    this.output = output;
    // Child processes outlive the JVM unless someone stops them.
    this.stopOnExit = new Thread(process::destroyForcibly, "local-redis-" + port + "-stop");
  }

  /** Starts a server with a new temporary working directory, which {@link #close()} deletes. */
  public static LocalRedis start() {
    Path dir;
    try {
      dir = Files.createTempDirectory("local-redis-");
    } catch (IOException e) {
      throw new StartupException("Could not create a working directory for Redis", e);
    }
    return start(dir, FreePorts.LOOPBACK_HOST, 0, List.of(), true, RedisExecutable::findOnPath);
  }

  /**
   * Starts a server whose working directory is {@code workDir}, created if needed. The caller owns
   * the directory: {@link #close()} leaves it in place.
   */
  public static LocalRedis start(Path workDir) {
    return start(
        workDir, FreePorts.LOOPBACK_HOST, 0, List.of(), false, RedisExecutable::findOnPath);
  }

  /**
   * As {@link #start(Path)}, on {@code port} (0 picks a free one): a server stopped and started
   * again on the same directory and port is the same server to its clients, with its data.
   */
  public static LocalRedis start(Path workDir, int port) {
    return start(
        workDir, FreePorts.LOOPBACK_HOST, port, List.of(), false, RedisExecutable::findOnPath);
  }

  /**
   * As {@link #start(Path, int)}, listening on {@code host} (an address of this machine) and
   * started through {@code commandPrefix} (e.g. {@code ip netns exec HOST}).
   */
  public static LocalRedis start(Path workDir, String host, int port, List<String> commandPrefix) {
    return start(workDir, host, port, commandPrefix, false, RedisExecutable::findOnPath);
  }

  /**
   * As {@link #start(Path)}, finding {@code redis-server} with {@code pathLookup}; an empty answer
   * selects the bundled binary.
   */
  static LocalRedis start(
      Path workDir, boolean ownsWorkDir, Function<String, Optional<Path>> pathLookup) {
    return start(workDir, FreePorts.LOOPBACK_HOST, 0, List.of(), ownsWorkDir, pathLookup);
  }

  private static LocalRedis start(
      Path workDir,
      String host,
      int port,
      List<String> commandPrefix,
      boolean ownsWorkDir,
      Function<String, Optional<Path>> pathLookup) {
    Objects.requireNonNull(workDir, "workDir");
    try {
      return launch(workDir, host, port, commandPrefix, ownsWorkDir, pathLookup);
    } catch (RuntimeException | Error e) {
      if (ownsWorkDir) {
        try {
          Directories.deleteRecursively(workDir);
        } catch (IOException | RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  private static LocalRedis launch(
      Path workDir,
      String host,
      int fixedPort,
      List<String> commandPrefix,
      boolean ownsWorkDir,
      Function<String, Optional<Path>> pathLookup) {
    long startNanos = System.nanoTime();
    long deadlineNanos = startNanos + STARTUP_TIMEOUT.toNanos();
    RedisExecutable executable;
    try {
      Files.createDirectories(workDir);
      executable = RedisExecutable.resolve(pathLookup, workDir.resolve("bin"));
    } catch (IOException e) {
      throw new StartupException(
          "Could not prepare Redis in " + workDir + ": " + e.getMessage(), e);
    }
    for (int attempt = 1; ; attempt++) {
      int port;
      Process process;
      try {
        port = fixedPort > 0 ? fixedPort : FreePorts.pick(1)[0];
        process =
            new ProcessBuilder(command(commandPrefix, executable.path(), host, port, workDir))
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .start();
      } catch (IOException e) {
        throw new StartupException("Could not run " + executable.path() + ": " + e.getMessage(), e);
      }
      OutputTail output = new OutputTail(process, "local-redis-" + port + "-output");
      Optional<String> exitOutput = awaitPong(process, host, port, output, deadlineNanos);
      if (exitOutput.isEmpty()) {
        LocalRedis redis =
            new LocalRedis(process, host, port, executable, workDir, ownsWorkDir, output);
        Runtime.getRuntime().addShutdownHook(redis.stopOnExit);
        LOG.infof(
            "Redis ready at %s in %d ms (%s)",
            redis.url(), NANOSECONDS.toMillis(System.nanoTime() - startNanos), executable.path());
        return redis;
      }
      String text = exitOutput.get();
      if (text.contains("Address already in use") && fixedPort == 0 && attempt < BIND_ATTEMPTS) {
        LOG.debugf("Redis lost port %d to another process, retrying", port);
        continue;
      }
      throw new StartupException(
          "redis-server "
              + executable.path()
              + " exited with code "
              + process.exitValue()
              + " at start. Its output:\n"
              + text);
    }
  }

  private static List<String> command(
      List<String> prefix, Path executable, String host, int port, Path workDir) {
    List<String> command = new java.util.ArrayList<>(prefix);
    command.addAll(
        List.of(
            executable.toString(),
            "--port",
            Integer.toString(port),
            "--bind",
            host,
            // No snapshots, but an append-only file fsynced every second: a restarted server keeps
            // what it had, as t2i expects of production Redis.
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--dir",
            workDir.toString(),
            "--daemonize",
            "no",
            // Startup banners stay out of the logs; bind and config errors are warnings and stay
            // in.
            "--loglevel",
            "warning"));
    return command;
  }

  /**
   * Waits until the server answers PING on {@code port}. Returns empty when it does, or the
   * server's output when it exits first.
   */
  private static Optional<String> awaitPong(
      Process process, String host, int port, OutputTail output, long deadlineNanos) {
    try {
      while (true) {
        if (!process.isAlive()) {
          return Optional.of(output.awaitEnd());
        }
        // Checked alive again after the answer: a server that lost the port may still be exiting.
        if (answersPing(host, port) && process.isAlive()) {
          return Optional.empty();
        }
        if (System.nanoTime() - deadlineNanos > 0) {
          process.destroyForcibly();
          throw new StartupException(
              "redis-server did not answer PING on port "
                  + port
                  + " within "
                  + STARTUP_TIMEOUT
                  + ". Its output:\n"
                  + output.awaitEnd());
        }
        Thread.sleep(10);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new StartupException("Interrupted while waiting for Redis on port " + port, e);
    }
  }

  /** Sends an inline {@code PING} and expects the simple-string reply {@code +PONG}. */
  private static boolean answersPing(String host, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 250);
      socket.setSoTimeout(1_000);
      socket.getOutputStream().write("PING\r\n".getBytes(US_ASCII));
      BufferedReader reply =
          new BufferedReader(new InputStreamReader(socket.getInputStream(), US_ASCII));
      return "+PONG".equals(reply.readLine());
    } catch (IOException e) {
      return false;
    }
  }

  /** {@code redis://127.0.0.1:PORT}. */
  public String url() {
    return "redis://" + host + ":" + port;
  }

  public int port() {
    return port;
  }

  /** The server's working directory. */
  public Path workDir() {
    return workDir;
  }

  /** The {@code redis-server} binary this server runs. */
  public Path executable() {
    return executable.path();
  }

  /** Whether the binary is the one bundled in embedded-redis rather than one on {@code PATH}. */
  public boolean bundledExecutable() {
    return executable.bundled();
  }

  /** Stops the server and waits for it to exit; deletes the working directory if owned. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(stopOnExit);
    } catch (IllegalStateException e) {
      // The JVM is already exiting: the hook runs or has run, and stopping twice is harmless.
    }
    stopProcess();
    output.awaitEnd();
    LOG.debugf("Redis at %s stopped", url());
    if (ownsWorkDir) {
      try {
        Directories.deleteRecursively(workDir);
      } catch (IOException e) {
        throw new UncheckedIOException("Could not delete Redis working directory " + workDir, e);
      }
    }
  }

  private void stopProcess() {
    // SIGTERM: Redis flushes its append-only file and exits.
    process.destroy();
    try {
      if (!process.waitFor(STOP_TIMEOUT.toMillis(), MILLISECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "LocalRedis[" + url() + ", " + executable.path() + "]";
  }

  /** Reads a child's output on a daemon thread and keeps its last lines for error messages. */
  private static final class OutputTail {

    private static final int MAX_LINES = 200;

    private final Deque<String> lines = new ArrayDeque<>();
    private final Thread reader;

    OutputTail(Process process, String threadName) {
      this.reader =
          Thread.ofPlatform()
              .daemon()
              .name(threadName)
              .start(
                  () -> {
                    // Draining the pipe also keeps a chatty child from blocking on a full buffer.
                    try (BufferedReader in = process.inputReader()) {
                      for (String line = in.readLine(); line != null; line = in.readLine()) {
                        LOG.debug(line);
                        append(line);
                      }
                    } catch (IOException e) {
                      append("(output unreadable: " + e.getMessage() + ")");
                    }
                  });
    }

    private synchronized void append(String line) {
      if (lines.size() == MAX_LINES) {
        lines.removeFirst();
      }
      lines.addLast(line);
    }

    /** The last lines, after the child closed its output or a short wait for it to. */
    String awaitEnd() {
      try {
        reader.join(SECONDS.toMillis(2));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      synchronized (this) {
        return String.join("\n", lines);
      }
    }
  }
}
