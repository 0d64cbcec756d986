package t2i.launcher.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * What this machine's CPUs did over a period, from Linux's {@code /proc/stat}: busy, idle, and
 * stolen (time a virtual machine was ready to run but its hypervisor ran someone else). On a VM a
 * run can slow down for want of CPU it was never given; the steal says so.
 */
final class MachineCpu {

  private static final Path PROC_STAT = Path.of("/proc/stat");

  private MachineCpu() {}

  /**
   * The machine's CPU time counters at one moment, summed over its cores, in clock ticks.
   *
   * @param busy user, nice, system, irq and softirq time
   * @param idle idle and iowait time
   * @param stolen steal time
   */
  record Sample(long busy, long idle, long stolen) {

    /** What the CPUs did between {@code this} and a later sample, as shares of all their time. */
    String usageUntil(Sample later, int cores) {
      double busyTicks = later.busy - busy;
      double idleTicks = later.idle - idle;
      double stolenTicks = later.stolen - stolen;
      double total = Math.max(1, busyTicks + idleTicks + stolenTicks);
      return String.format(
          Locale.ROOT,
          "machine (%d cores): %.0f%% busy, %.0f%% idle, %.0f%% stolen by the hypervisor",
          cores,
          100 * busyTicks / total,
          100 * idleTicks / total,
          100 * stolenTicks / total);
    }
  }

  /** The counters now; empty where there is no {@code /proc/stat} (not Linux). */
  static Optional<Sample> read() {
    try {
      return Files.readAllLines(PROC_STAT).stream()
          .filter(line -> line.startsWith("cpu "))
          .findFirst()
          .map(MachineCpu::parse);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Parses the summary line of {@code /proc/stat}: {@code cpu user nice system idle ...}. */
  static Sample parse(String line) {
    String[] f = line.trim().split("\\s+", -1);
    long[] v = new long[8];
    for (int i = 0; i < v.length && i + 1 < f.length; i++) {
      v[i] = Long.parseLong(f[i + 1]);
    }
    // user, nice, system, idle, iowait, irq, softirq, steal
    return new Sample(v[0] + v[1] + v[2] + v[5] + v[6], v[3] + v[4], v[7]);
  }
}
