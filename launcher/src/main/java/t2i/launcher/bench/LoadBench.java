package t2i.launcher.bench;

import io.grpc.Channel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One benchmark run: offers the load, and reads the CPU time of the given local processes when the
 * measured period starts and ends, so that the report can say what each process spent per job.
 */
public final class LoadBench {

  private LoadBench() {}

  /** Runs the load and returns the report. */
  public static String run(Channel channel, LoadSpec spec, List<LocalProcesses.Found> processes)
      throws InterruptedException {
    Map<LocalProcesses.Found, Duration> before = new HashMap<>();
    Map<LocalProcesses.Found, Duration> after = new HashMap<>();
    long[] measured = new long[2];
    // The machine's counters at the start and at the end of the measured period, where readable.
    List<MachineCpu.Sample> machine = Collections.synchronizedList(new ArrayList<>());
    LoadResult result =
        new LoadGenerator(channel, spec)
            .run(
                () -> {
                  measured[0] = System.nanoTime();
                  MachineCpu.read().ifPresent(machine::add);
                  processes.forEach(p -> before.put(p, p.cpu()));
                },
                () -> {
                  measured[1] = System.nanoTime();
                  MachineCpu.read().ifPresent(machine::add);
                  processes.forEach(p -> after.put(p, p.cpu()));
                });
    double seconds = (measured[1] - measured[0]) / 1e9;
    StringBuilder report = new StringBuilder(result.render(seconds));
    long jobs = Math.max(1, result.succeededCount());
    if (!processes.isEmpty()) {
      report.append(
          String.format(
              Locale.ROOT,
              "CPU over the %.0f s measured (per job: over %d succeeded jobs)%n",
              seconds,
              result.succeededCount()));
      double t2iTotal = 0;
      for (LocalProcesses.Found p : processes) {
        if (!p.handle().isAlive()) {
          report.append(String.format(Locale.ROOT, "  %-40s exited during the run%n", p.name()));
          continue;
        }
        double cpu =
            (after.getOrDefault(p, Duration.ZERO).toNanos()
                    - before.getOrDefault(p, Duration.ZERO).toNanos())
                / 1e9;
        boolean isBench = p.handle().pid() == ProcessHandle.current().pid();
        if (!isBench) {
          t2iTotal += cpu;
        }
        report.append(
            String.format(
                Locale.ROOT, "  %-40s %7.2f s  %7.2f ms/job%n", p.name(), cpu, cpu * 1000 / jobs));
      }
      report.append(
          String.format(
              Locale.ROOT,
              "  %-40s %7.2f s  %7.2f ms/job%n",
              "all t2i processes (not this bench)",
              t2iTotal,
              t2iTotal * 1000 / jobs));
    }
    if (machine.size() == 2) {
      // Only the machine this bench runs on: meaningful where the services run here too.
      report
          .append(
              machine
                  .getFirst()
                  .usageUntil(machine.getLast(), Runtime.getRuntime().availableProcessors()))
          .append(System.lineSeparator());
    }
    return report.toString();
  }
}
