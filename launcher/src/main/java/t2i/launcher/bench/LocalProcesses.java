package t2i.launcher.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The t2i processes on this machine, found by their command lines, and the CPU time each has used:
 * the services ({@code quarkus-run.jar} of a t2i module, from any checkout), the {@code t2i up}
 * launcher (which runs the Kafka broker, and Redis too when no {@code redis-server} is installed),
 * a {@code redis-server} it started, and this process. Read from the operating system, so it
 * measures processes of any origin the same way.
 */
public final class LocalProcesses {

  /** One process: a name for reports and its handle. */
  public record Found(String name, ProcessHandle handle) {
    /** CPU time so far; zero if the system does not say. */
    public Duration cpu() {
      return handle.info().totalCpuDuration().orElse(Duration.ZERO);
    }
  }

  private LocalProcesses() {}

  /** The t2i processes on this machine, this process included. */
  public static List<Found> find() {
    long self = ProcessHandle.current().pid();
    List<ProcessHandle> all = ProcessHandle.allProcesses().toList();
    List<Found> found = new ArrayList<>();
    List<Long> launchers = new ArrayList<>(List.of(self));
    for (ProcessHandle p : all) {
      String line = commandLine(p);
      if (p.pid() == self) {
        continue;
      }
      serviceName(line).ifPresent(name -> found.add(new Found(name + " (pid " + p.pid() + ")", p)));
      if (line.contains("t2i.launcher.Main") && line.matches(".*\\sup(\\s.*)?$")) {
        found.add(new Found("t2i up: Kafka broker (pid " + p.pid() + ")", p));
        launchers.add(p.pid());
      }
    }
    // A redis-server the launcher (or this process) started.
    for (ProcessHandle p : all) {
      boolean childOfLauncher =
          p.parent().map(parent -> launchers.contains(parent.pid())).orElse(false);
      if (childOfLauncher && commandLine(p).contains("redis-server")) {
        found.add(new Found("redis-server (pid " + p.pid() + ")", p));
      }
    }
    found.add(new Found("this bench (load generator)", ProcessHandle.current()));
    return found;
  }

  private static Optional<String> serviceName(String commandLine) {
    int jar = commandLine.indexOf("/target/quarkus-app/quarkus-run.jar");
    if (jar < 0) {
      return Optional.empty();
    }
    String before = commandLine.substring(0, jar);
    return Optional.of(before.substring(before.lastIndexOf('/') + 1));
  }

  private static String commandLine(ProcessHandle process) {
    ProcessHandle.Info info = process.info();
    return info.commandLine().orElseGet(() -> info.command().orElse(""));
  }
}
