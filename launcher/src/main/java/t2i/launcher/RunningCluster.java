package t2i.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a running {@code t2i up} tells the other commands of this checkout, in {@code .t2i/}: its
 * gateway's address ({@code .t2i/gateway}), its broker's ({@code .t2i/kafka}) and its services'
 * Prometheus endpoints ({@code .t2i/metrics}, one {@code NAME URL} per line), so that {@code t2i
 * top} and {@code t2i bench} find them without being told. Removed when it stops.
 */
final class RunningCluster {

  private RunningCluster() {}

  static Path metricsFile(Path home) {
    return home.resolve(".t2i").resolve("metrics");
  }

  private static Path gatewayFile(Path home) {
    return home.resolve(".t2i").resolve("gateway");
  }

  private static Path kafkaFile(Path home) {
    return home.resolve(".t2i").resolve("kafka");
  }

  static void save(Path home, String gateway, String kafka, Map<String, String> metricsUrls)
      throws IOException {
    Path metrics = metricsFile(home);
    Files.createDirectories(metrics.getParent());
    List<String> lines = new ArrayList<>();
    metricsUrls.forEach((name, url) -> lines.add(name + " " + url));
    Files.write(metrics, lines);
    Files.writeString(gatewayFile(home), gateway + System.lineSeparator());
    Files.writeString(kafkaFile(home), kafka + System.lineSeparator());
  }

  /** Forgets the cluster once it stops. */
  static void forget(Path home) {
    try {
      Files.deleteIfExists(metricsFile(home));
      Files.deleteIfExists(gatewayFile(home));
      Files.deleteIfExists(kafkaFile(home));
    } catch (IOException e) {
      // Stale files only make top and bench name an address that no longer answers.
    }
  }

  /** The running cluster's gateway address, if {@code t2i up} runs. */
  static Optional<String> gateway(Path home) throws IOException {
    return readIfPresent(gatewayFile(home));
  }

  /** The running cluster's Kafka bootstrap servers, if {@code t2i up} runs. */
  static Optional<String> kafka(Path home) throws IOException {
    return readIfPresent(kafkaFile(home));
  }

  private static Optional<String> readIfPresent(Path file) throws IOException {
    return Files.exists(file) ? Optional.of(Files.readString(file).strip()) : Optional.empty();
  }

  /** The running cluster's metrics URLs; empty when {@code t2i up} does not run. */
  static List<String> metricsUrls(Path home) throws IOException {
    Path file = metricsFile(home);
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
