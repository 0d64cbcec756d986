package t2i.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import t2i.client.Channels;
import t2i.client.GenerateClient;
import t2i.client.Generation;
import t2i.client.ProgressListener;
import t2i.launcher.LocalCluster;
import t2i.launcher.Service;
import t2i.v1.GenerateRequest;

/**
 * What an operator sees of the running system: one trace per job across all four services, the
 * metrics every service exports, and dashboards and alerts that name only metrics that exist.
 */
@ExtendWith(SharedCluster.class)
class ObservabilityTest {

  private static final List<String> SERVICES =
      List.of("t2i-gateway", "t2i-tokenizer-service", "t2i-encoder-worker", "t2i-diffusion-worker");

  /** A metric name as Prometheus queries spell t2i's own. */
  private static final Pattern T2I_METRIC = Pattern.compile("\\bt2i_[a-z0-9_]+");

  private static final Pattern SAMPLE_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

  private static LocalCluster cluster;
  private static TraceReceiver traces;
  private static ManagedChannel channel;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void connect(LocalCluster shared, TraceReceiver receiver) {
    cluster = shared;
    traces = receiver;
    channel = Channels.open(cluster.gatewayAddress());
  }

  @AfterAll
  static void disconnect() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static Generation generateOne(String prompt) {
    GenerateRequest request =
        GenerateRequest.newBuilder()
            .setPrompt(prompt)
            .setNegativePrompt("blurry")
            .setWidth(64)
            .setHeight(64)
            .setSteps(2)
            .setSeed(7)
            .build();
    return new GenerateClient(channel)
        .generate(request, Duration.ofMinutes(2), ProgressListener.NONE);
  }

  @Test
  void oneJob_isOneTrace_withASpanOfEachService_inCausalOrder() {
    String jobId = generateOne("a traced blue square").jobId();

    List<TraceReceiver.ReceivedSpan> trace =
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> traces.traceOfJob(jobId),
                spans ->
                    spans.stream()
                        .map(TraceReceiver.ReceivedSpan::service)
                        .collect(java.util.stream.Collectors.toSet())
                        .containsAll(SERVICES));

    assertThat(trace.stream().map(TraceReceiver.ReceivedSpan::traceId).distinct())
        .as("the job's spans, from every service, share one trace id")
        .hasSize(1);
    // The job's own span in each service: the gateway's submission, then one per stage.
    Map<String, TraceReceiver.ReceivedSpan> jobSpans = new LinkedHashMap<>();
    for (String service : SERVICES) {
      TraceReceiver.ReceivedSpan span =
          trace.stream()
              .filter(s -> s.service().equals(service))
              .filter(s -> jobId.equals(s.attributes().get("t2i.job.id")))
              .min(Comparator.comparingLong(TraceReceiver.ReceivedSpan::startNanos))
              .orElseThrow(
                  () -> new AssertionError("no span of job " + jobId + " from " + service));
      jobSpans.put(service, span);
    }
    List<TraceReceiver.ReceivedSpan> chain = List.copyOf(jobSpans.values());
    for (int i = 1; i < chain.size(); i++) {
      TraceReceiver.ReceivedSpan before = chain.get(i - 1);
      TraceReceiver.ReceivedSpan after = chain.get(i);
      assertThat(after.parentSpanId())
          .as(
              "%s's span is a child of %s's, whose record it consumed",
              after.service(), before.service())
          .isEqualTo(before.spanId());
      assertThat(after.startNanos())
          .as("%s starts after %s started", after.service(), before.service())
          .isGreaterThanOrEqualTo(before.startNanos());
    }
    assertThat(Objects.requireNonNull(jobSpans.get("t2i-diffusion-worker")).attributes())
        .as("a stage's span says how long the record waited in its queue")
        .containsKey("t2i.queue.wait_ms");
    Map<String, String> diffusion = jobSpans.get("t2i-diffusion-worker").attributes();
    assertThat(Integer.parseInt(diffusion.getOrDefault("t2i.unet.batch.rows", "0")))
        .as("the diffusion span says how many rows its widest UNet call had: at least its own two")
        .isGreaterThanOrEqualTo(2);
    assertThat(Integer.parseInt(diffusion.getOrDefault("t2i.unet.batch.jobs", "0")))
        .as("... and how many jobs shared it")
        .isGreaterThanOrEqualTo(1);
    assertThat(traces.dropped()).isZero();
  }

  @Test
  void everyService_exportsItsOwnMetrics_withDescriptions_onItsManagementPort()
      throws IOException, InterruptedException {
    generateOne("a measured red circle");
    Map<String, String> scraped = scrapeAll();

    assertThat(scraped.get("gateway"))
        .contains("t2i_gateway_calls_total{code=\"OK\",method=\"Generate\"}")
        .contains("t2i_gateway_jobs_submitted_total")
        .contains("jvm_memory_used_bytes");
    assertThat(scraped.get("tokenizer-service"))
        .contains("t2i_stage_records_total{stage=\"tokenizer-service\"}")
        .contains("t2i_stage_consumer_lag_records{");
    assertThat(scraped.get("encoder-worker"))
        .contains("t2i_encoder_cache_total{result=\"miss\"}")
        .contains("t2i_stage_queue_wait_seconds_bucket{stage=\"encoder-worker\",le=\"0.001\"}");
    assertThat(scraped.get("diffusion-worker"))
        .contains("t2i_diffusion_unet_latency_seconds_bucket{device=\"cpu\",engine=\"OnnxRuntime\"")
        .contains("t2i_jobs_latency_seconds_count{state=\"SUCCEEDED\"}");
    assertThat(scraped.get("notifier"))
        .contains("t2i_notifier_attempts_total{outcome=\"GAVE_UP\"}")
        .contains("t2i_notifier_pending")
        .contains("t2i_stage_records_total{stage=\"notifier\"}");
    for (Map.Entry<String, String> service : scraped.entrySet()) {
      for (String family : families(service.getValue())) {
        assertThat(service.getValue())
            .as("%s describes %s", service.getKey(), family)
            .containsPattern("(?m)^# HELP " + Pattern.quote(family) + " \\S");
      }
    }
  }

  @Test
  void dashboardAndAlerts_nameOnlyMetricsTheServicesExport()
      throws IOException, InterruptedException {
    generateOne("a charted green triangle");
    Set<String> exported = new TreeSet<>();
    for (String text : scrapeAll().values()) {
      exported.addAll(seriesNames(text));
    }
    Path root = Path.of(System.getProperty("repo.root"));
    for (Path file :
        List.of(
            root.resolve("deploy/dashboards/t2i-overview.json"),
            root.resolve("deploy/alerts/t2i-alerts.yaml"))) {
      Set<String> named = new TreeSet<>();
      Matcher m = T2I_METRIC.matcher(Files.readString(file));
      while (m.find()) {
        named.add(m.group());
      }
      assertThat(named).as("the metrics %s names", root.relativize(file)).isNotEmpty();
      assertThat(exported)
          .as("metrics the services export, for %s", file.getFileName())
          .containsAll(named);
    }
  }

  @Test
  void withJsonLogs_aWorkersLinesAboutAJob_carryItsJobIdAndTraceId() throws Exception {
    String worker =
        cluster.addInstance(Service.DIFFUSION, Map.of("quarkus.log.console.json.enabled", "true"));
    try {
      // The new worker takes some of the partitions; jobs land on it by their keys.
      JsonNode line =
          await()
              .atMost(Duration.ofMinutes(2))
              .pollInterval(Duration.ZERO)
              .until(
                  () -> {
                    String jobId = generateOne("a logged yellow star").jobId();
                    return jsonLineAbout(cluster.log(worker), jobId);
                  },
                  java.util.Optional::isPresent)
              .orElseThrow();

      assertThat(line.path("message").asText()).startsWith("Denoising job ");
      assertThat(line.path("mdc").path("traceId").asText())
          .as("tracing is on in this cluster: the line names the job's trace")
          .matches("[0-9a-f]{32}");
    } finally {
      cluster.terminate(worker, Duration.ofSeconds(30));
    }
  }

  /** The first JSON line of a log whose MDC names the job. */
  private static java.util.Optional<JsonNode> jsonLineAbout(Path log, String jobId)
      throws IOException {
    ObjectMapper json = new ObjectMapper();
    for (String line : Files.readAllLines(log)) {
      if (!line.startsWith("{")) {
        continue;
      }
      JsonNode node = json.readTree(line);
      if (jobId.equals(node.path("mdc").path("jobId").asText())) {
        return java.util.Optional.of(node);
      }
    }
    return java.util.Optional.empty();
  }

  /** Every instance's metrics page, by instance name. */
  private static Map<String, String> scrapeAll() throws IOException, InterruptedException {
    Map<String, String> pages = new HashMap<>();
    for (Map.Entry<String, String> instance : cluster.metricsUrls().entrySet()) {
      HttpResponse<String> response =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(instance.getValue()))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as(instance.getValue()).isEqualTo(200);
      pages.put(instance.getKey(), response.body());
    }
    return pages;
  }

  /** The names of the samples on a metrics page (with _bucket, _count, _sum, _total). */
  private static Set<String> seriesNames(String page) {
    Set<String> names = new TreeSet<>();
    for (String line : page.lines().toList()) {
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      // The name ends at its labels or its value; an exemplar may follow with labels of its own.
      Matcher name = SAMPLE_NAME.matcher(line);
      if (name.lookingAt()) {
        names.add(name.group());
      }
    }
    return names;
  }

  /** The t2i metric families a page declares. */
  private static Set<String> families(String page) {
    Set<String> names = new TreeSet<>();
    Matcher m = Pattern.compile("(?m)^# TYPE (t2i_\\S+) ").matcher(page);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }
}
