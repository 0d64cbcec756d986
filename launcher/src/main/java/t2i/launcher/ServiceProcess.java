package t2i.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One start of a service as a child JVM, its output appended to the instance's log file after a
 * marker line (so the file tells every start of the instance apart). Owns the process: {@link
 * #close()} asks it to stop (SIGTERM, so it drains its work) and kills it if it does not.
 */
public final class ServiceProcess implements AutoCloseable {

  /** What Quarkus logs once an application is up. */
  private static final String STARTED = ") started in ";

  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

  private final Service service;
  private final String name;

  /** Starts a marker line in the log; the rest of the line says which start it is. */
  static final String MARKER = "=== t2i: starting ";

  private final Process process;
  private final Path log;
  private final long logOffset;

  private ServiceProcess(Service service, String name, Process process, Path log, long logOffset) {
    this.service = service;
    this.name = name;
    this.process = process;
    this.log = log;
    this.logOffset = logOffset;
  }

  /**
   * Starts the service's jar with the given configuration as system properties.
   *
   * @throws IOException if its jar is missing (the checkout is not built) or it cannot start
   */
  static ServiceProcess start(
      Service service, Path home, Path logDir, Map<String, String> config, List<String> jvmOptions)
      throws IOException {
    return start(service, service.module(), home, logDir, config, jvmOptions);
  }

  /**
   * Starts the service's jar as one named instance of it (another gateway replica, say), logging to
   * {@code NAME.log}.
   *
   * @throws IOException if its jar is missing (the checkout is not built) or it cannot start
   */
  static ServiceProcess start(
      Service service,
      String name,
      Path home,
      Path logDir,
      Map<String, String> config,
      List<String> jvmOptions)
      throws IOException {
    return start(service, name, home, logDir, config, jvmOptions, List.of());
  }

  /**
   * As above, started through {@code commandPrefix}: {@code ip netns exec HOST} runs the service on
   * another network host of this machine.
   *
   * @throws IOException if its jar is missing (the checkout is not built) or it cannot start
   */
  public static ServiceProcess start(
      Service service,
      String name,
      Path home,
      Path logDir,
      Map<String, String> config,
      List<String> jvmOptions,
      List<String> commandPrefix)
      throws IOException {
    Path jar = service.jar(home);
    if (!Files.isRegularFile(jar)) {
      throw new IOException(
          jar + " is missing: build t2i first (./mvnw -B -DskipTests package, or run ./t2i)");
    }
    Files.createDirectories(logDir);
    Path log = logDir.resolve(name + ".log");
    Files.writeString(
        log,
        MARKER + name + " at " + java.time.Instant.now() + "\n",
        StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
    long offset = Files.size(log);
    List<String> command = new ArrayList<>(commandPrefix);
    command.add(javaExecutable());
    command.add("-Xmx" + service.maxHeap());
    // Small heaps on few cores: the serial collector costs least.
    command.add("-XX:+UseSerialGC");
    command.add("--enable-native-access=ALL-UNNAMED");
    command.addAll(jvmOptions);
    config.forEach((key, value) -> command.add("-D" + key + "=" + value));
    command.add("-jar");
    command.add(jar.toString());
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(home.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().put("OPT_OUT_TRACKING", "true");
    return new ServiceProcess(service, name, builder.start(), log, offset);
  }

  private static String javaExecutable() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  Service service() {
    return service;
  }

  /** The instance's name: the module's, or the replica's. */
  public String name() {
    return name;
  }

  public Path log() {
    return log;
  }

  /** Asks the service to stop (SIGTERM) without waiting; {@link #close()} waits. */
  void requestStop() {
    process.destroy();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Kills the process at once (SIGKILL) and waits for it to be gone. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Asks the process to stop (SIGTERM) and waits for it.
   *
   * @return its exit status
   * @throws IllegalStateException if it is still running after {@code timeout}
   */
  public int terminate(Duration timeout) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(name + " did not stop within " + timeout + " of SIGTERM");
    }
    return process.exitValue();
  }

  /** CPU time the process has used so far (zero where the platform does not tell). */
  public Duration cpuTime() {
    return process.info().totalCpuDuration().orElse(Duration.ZERO);
  }

  /** The exit status, or "unknown" while it runs. */
  String exitStatus() {
    return process.isAlive() ? "unknown" : Integer.toString(process.exitValue());
  }

  /** True once this start of the service has logged that it started; throws if it died instead. */
  public boolean isStarted() throws IOException {
    String output = thisStartsLog();
    if (output.contains(STARTED)) {
      return true;
    }
    if (!process.isAlive()) {
      throw new IOException(
          name
              + " exited with code "
              + process.exitValue()
              + " while starting; its log "
              + log
              + " ends with:\n"
              + tail(output, 30));
    }
    return false;
  }

  /** The last lines of this start's log, for error reports. */
  public String logTail(int lines) {
    try {
      return tail(thisStartsLog(), lines);
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  private String thisStartsLog() throws IOException {
    byte[] all = Files.readAllBytes(log);
    int from = (int) Math.min(logOffset, all.length);
    return new String(all, from, all.length - from, StandardCharsets.UTF_8);
  }

  private static String tail(String text, int lines) {
    String[] all = text.split("\n", -1);
    int from = Math.max(0, all.length - lines);
    return String.join("\n", Arrays.asList(all).subList(from, all.length));
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
