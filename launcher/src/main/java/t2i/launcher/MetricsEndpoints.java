package t2i.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Prometheus endpoints of the services {@code t2i up} runs, kept in {@code .t2i/metrics} (one
 * {@code NAME URL} per line) so that {@code t2i top} finds them without being told.
 */
final class MetricsEndpoints {

  private MetricsEndpoints() {}

  static Path file(Path home) {
    return home.resolve(".t2i").resolve("metrics");
  }

  static Path save(Path home, Map<String, String> urls) throws IOException {
    Path file = file(home);
    Files.createDirectories(file.getParent());
    List<String> lines = new ArrayList<>();
    urls.forEach((name, url) -> lines.add(name + " " + url));
    Files.write(file, lines);
    return file;
  }

  /** The saved endpoints' URLs; empty when {@code t2i up} has not written any. */
  static List<String> load(Path home) throws IOException {
    Path file = file(home);
    if (!Files.exists(file)) {
      return List.of();
    }
    List<String> urls = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      String entry = line.strip();
      int space = entry.lastIndexOf(' ');
      if (space > 0) {
        urls.add(entry.substring(space + 1));
      }
    }
    return urls;
  }
}
