package t2i.launcher.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    List<Found> found = new ArrayList<>();
    Map<Long, String> launchers = new LinkedHashMap<>();
    long self = ProcessHandle.current().pid();
    ProcessHandle.allProcesses()
        .forEach(
            p -> {
              String line = commandLine(p);
              if (p.pid() == self) {
                return;
              }
              serviceName(line)
                  .ifPresent(name -> found.add(new Found(name + " (pid " + p.pid() + ")", p)));
              if (line.contains("t2i.launcher.Main") && line.matches(".*\\sup(\\s.*)?$")) {
                launchers.put(p.pid(), "t2i up: Kafka broker (pid " + p.pid() + ")");
              }
            });
    launchers.forEach(
        (pid, name) -> ProcessHandle.of(pid).ifPresent(p -> found.add(new Found(name, p))));
    List<Long> parents = new ArrayList<>(launchers.keySet());
    parents.add(self);
    ProcessHandle.allProcesses()
        .filter(p -> p.parent().map(parent -> parents.contains(parent.pid())).orElse(false))
        .filter(p -> commandLine(p).contains("redis-server"))
        .forEach(p -> found.add(new Found("redis-server (pid " + p.pid() + ")", p)));
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
