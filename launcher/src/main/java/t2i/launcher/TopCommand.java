package t2i.launcher;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import t2i.launcher.top.MetricSamples;
import t2i.launcher.top.TopView;

/** {@code t2i top}: a live view of a running t2i from its services' metrics. */
@Command(
    name = "top",
    mixinStandardHelpOptions = true,
    description =
        "Show jobs/s, latency, UNet batch occupancy and each stage's backlog, refreshed every"
            + " second, from the services' Prometheus metrics (those of `t2i up` unless --metrics"
            + " names others).")
final class TopCommand implements Callable<Integer> {

  @Option(
      names = "--metrics",
      paramLabel = "URL",
      description =
          "A service's metrics endpoint, e.g. http://host:9090/q/metrics; repeat for each service"
              + " instance (default: the services `t2i up` runs).")
  @Nullable List<String> urls;

  @Option(
      names = "--interval",
      paramLabel = "SECONDS",
      description = "Seconds between readings (default: ${DEFAULT-VALUE}).",
      defaultValue = "1")
  double interval;

  @Option(
      names = "--frames",
      paramLabel = "N",
      description =
          "Print N frames one after another and stop (default: one frame in place of the last,"
              + " until Ctrl+C).",
      defaultValue = "0")
  int frames;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @Override
  public Integer call() throws Exception {
    List<String> endpoints = urls != null ? urls : RunningCluster.metricsUrls(Home.locate());
    if (endpoints.isEmpty()) {
      System.err.println(
          "t2i top: no metrics endpoints. Start t2i with ./t2i up, or name each service's"
              + " endpoint with --metrics http://HOST:PORT/q/metrics.");
      return 2;
    }
    if (interval <= 0) {
      System.err.println("t2i top: --interval must be positive, was " + interval);
      return 2;
    }
    // Watching until Ctrl+C, each frame replaces the last; a fixed number of frames (a script,
    // a log) follow one another.
    boolean replace = frames == 0;
    // The command owns its HTTP client: closed when the last frame is out.
    try (http) {
      MetricSamples before = read(endpoints);
      long beforeNanos = System.nanoTime();
      for (int frame = 1; frames == 0 || frame <= frames; frame++) {
        Thread.sleep((long) (interval * 1000));
        MetricSamples after = read(endpoints);
        long afterNanos = System.nanoTime();
        String view =
            TopView.render(
                before,
                after,
                (afterNanos - beforeNanos) / 1e9,
                endpoints.size(),
                LocalTime.now(ZoneId.systemDefault()));
        System.out.print(replace ? "\033[H\033[2J" + view : view + System.lineSeparator());
        System.out.flush();
        before = after;
        beforeNanos = afterNanos;
      }
    }
    return 0;
  }

  /** Reads every endpoint; one that does not answer is left out of this reading and named. */
  private MetricSamples read(List<String> endpoints) throws InterruptedException {
    List<String> pages = new ArrayList<>();
    for (String url : endpoints) {
      try {
        HttpResponse<String> response =
            http.send(
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
          pages.add(response.body());
        } else {
          System.err.println("t2i top: " + url + " answered HTTP " + response.statusCode());
        }
      } catch (IOException | IllegalArgumentException e) {
        System.err.println("t2i top: " + url + " did not answer: " + e.getMessage());
      }
    }
    return MetricSamples.parse(pages);
  }
}
