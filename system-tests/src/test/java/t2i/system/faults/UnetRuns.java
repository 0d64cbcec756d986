package t2i.system.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Counts UNet runs per job from the diffusion workers' logs ("Denoising job ID: ..."), by the start
 * of the worker process that ran them. A run on a process that was later killed, or one stopped
 * because a rebalance moved its partition ("Stopping job ID here"), is allowed to be repeated
 * elsewhere; two runs on processes that lived on, neither of them stopped, are a job done twice.
 */
final class UnetRuns {

  private static final Pattern START = Pattern.compile("Denoising job (\\S+):");
  private static final Pattern MOVED = Pattern.compile("Stopping job (\\S+) here: its partition");
  private static final String MARKER = "=== t2i: starting ";

  private UnetRuns() {}

  /**
   * Jobs of {@code jobIds} that ran more than once on processes that were not killed.
   *
   * @param logs each diffusion worker's log file; every start but a log's last was ended by a kill
   * @param heldDown logs whose last start was killed too (an instance kept down)
   */
  static int duplicateRuns(List<Path> logs, Set<Path> heldDown, Set<String> jobIds)
      throws IOException {
    Map<String, Integer> runs = new HashMap<>();
    for (Path log : logs) {
      List<List<String>> starts = splitByStart(log);
      if (starts.isEmpty() || heldDown.contains(log)) {
        continue;
      }
      for (String line : starts.getLast()) {
        Matcher started = START.matcher(line);
        if (started.find() && jobIds.contains(started.group(1))) {
          runs.merge(started.group(1), 1, Integer::sum);
        }
        Matcher moved = MOVED.matcher(line);
        if (moved.find() && jobIds.contains(moved.group(1))) {
          runs.merge(moved.group(1), -1, Integer::sum);
        }
      }
    }
    return runs.values().stream().mapToInt(n -> Math.max(0, n - 1)).sum();
  }

  private static List<List<String>> splitByStart(Path log) throws IOException {
    List<List<String>> starts = new ArrayList<>();
    List<String> current = new ArrayList<>();
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      if (line.startsWith(MARKER)) {
        current = new ArrayList<>();
        starts.add(current);
      } else {
        current.add(line);
      }
    }
    return starts;
  }
}
