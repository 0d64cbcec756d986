package t2i.launcher;

import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import t2i.client.ApiKeyOption;
import t2i.client.Channels;
import t2i.launcher.bench.KafkaHopProbe;
import t2i.launcher.bench.LoadBench;
import t2i.launcher.bench.LoadSpec;
import t2i.launcher.bench.LocalProcesses;
import t2i.v1.GenerateRequest;

/** {@code t2i bench}: offers load to a gateway and reports latency, errors and CPU per job. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description =
        "Offer load to a gateway (the one `t2i up` runs, or --server) and report end-to-end"
            + " latency (p50/p90/p99/max), time per hop, errors by status, and the CPU time per"
            + " job of each t2i process on this machine.")
final class BenchCommand implements Callable<Integer> {

  private static final double CLOSED_LOOP_PROBE_RATE = 10;

  @Option(
      names = "--server",
      paramLabel = "HOST:PORT",
      description = "Gateway (default: t2i up's).")
  @Nullable String server;

  // Picocli creates every mixin before the command runs.
  @SuppressWarnings("NullAway.Init")
  @Mixin
  ApiKeyOption apiKey;

  @Option(
      names = "--rate",
      paramLabel = "JOBS_PER_S",
      description = "Open loop: send this many jobs per second, whatever the answers.")
  double rate;

  @Option(
      names = "--concurrency",
      paramLabel = "N",
      description = "Closed loop: keep N jobs in flight instead of --rate.")
  int concurrency;

  @Option(
      names = "--duration",
      paramLabel = "S",
      defaultValue = "30",
      description = "Seconds measured (default: ${DEFAULT-VALUE}).")
  int durationSeconds;

  @Option(
      names = "--warmup",
      paramLabel = "S",
      defaultValue = "10",
      description = "Seconds of load before measuring (default: ${DEFAULT-VALUE}).")
  int warmupSeconds;

  @Option(names = "--model", description = "Model (default: the server's).")
  @Nullable String model;

  @Option(
      names = "--steps",
      defaultValue = "1",
      description = "Denoising steps (default: ${DEFAULT-VALUE}).")
  int steps;

  @Option(
      names = "--width",
      defaultValue = "64",
      description = "Width (default: ${DEFAULT-VALUE}).")
  int width;

  @Option(
      names = "--height",
      defaultValue = "64",
      description = "Height (default: ${DEFAULT-VALUE}).")
  int height;

  @Option(
      names = "--count",
      defaultValue = "1",
      description = "Images per job (default: ${DEFAULT-VALUE}).")
  int count;

  @Option(
      names = "--guidance",
      defaultValue = "1",
      description = "Guidance scale; <= 1 is one UNet row per image (default: ${DEFAULT-VALUE}).")
  double guidance;

  @Option(
      names = "--prompt",
      defaultValue = "a red circle at the top left on a white background",
      description = "The jobs' prompt (default: ${DEFAULT-VALUE}).")
  String prompt = "";

  @Option(
      names = "--repeat-prompt",
      description =
          "Send the same prompt every time (embeddings then come from the cache); by default each"
              + " job's prompt differs.")
  boolean repeatPrompt;

  @Option(
      names = "--timeout",
      paramLabel = "S",
      defaultValue = "120",
      description = "Each call's deadline in seconds (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Option(
      names = "--kafka",
      paramLabel = "HOST:PORT",
      description =
          "The gateway's Kafka, for the bare-hop probe (default: t2i up's; none with --server).")
  @Nullable String kafka;

  @Option(
      names = "--kafka-probe",
      paramLabel = "S",
      defaultValue = "10",
      description =
          "Seconds of bare Kafka hops (a record produced as the stages produce, and consumed)"
              + " timed before the load, at its rate (10/s in closed loop); 0 skips them"
              + " (default: ${DEFAULT-VALUE}).")
  int kafkaProbeSeconds;

  @Override
  public Integer call() throws Exception {
    Path home = Home.locate();
    Optional<String> target = server != null ? Optional.of(server) : RunningCluster.gateway(home);
    if (target.isEmpty()) {
      System.err.println(
          "t2i bench: no gateway. Start one with ./t2i up (in another terminal), or name one with"
              + " --server HOST:PORT.");
      return 2;
    }
    GenerateRequest.Builder request =
        GenerateRequest.newBuilder()
            .setPrompt(prompt)
            .setSteps(steps)
            .setWidth(width)
            .setHeight(height)
            .setCount(count)
            .setGuidanceScale((float) guidance);
    if (model != null) {
      request.setModel(model);
    }
    LoadSpec spec;
    try {
      spec =
          new LoadSpec(
              rate,
              concurrency,
              Duration.ofSeconds(warmupSeconds),
              Duration.ofSeconds(durationSeconds),
              request.build(),
              repeatPrompt,
              Duration.ofSeconds(timeoutSeconds));
    } catch (IllegalArgumentException e) {
      System.err.println("t2i bench: " + e.getMessage());
      return 2;
    }
    ManagedChannel channel = Channels.open(target.get(), apiKey.value());
    try {
      boolean local = target.get().startsWith("localhost:") || target.get().startsWith("127.");
      List<LocalProcesses.Found> processes = local ? LocalProcesses.find() : List.of();
      System.out.println("t2i bench: " + target.get() + ", " + spec.describe());
      Optional<String> broker =
          kafka != null
              ? Optional.of(kafka)
              : server == null ? RunningCluster.kafka(home) : Optional.empty();
      if (kafkaProbeSeconds > 0 && broker.isPresent()) {
        probeKafka(broker.get(), rate > 0 ? rate : CLOSED_LOOP_PROBE_RATE);
      }
      System.out.println(LoadBench.run(channel, spec, processes));
      return 0;
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** Times bare Kafka hops; a probe that fails is reported, and the load runs all the same. */
  private void probeKafka(String bootstrapServers, double perSecond) throws InterruptedException {
    try {
      System.out.print(
          KafkaHopProbe.render(
              KafkaHopProbe.measure(
                  bootstrapServers, perSecond, Duration.ofSeconds(kafkaProbeSeconds)),
              perSecond));
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      System.out.println(
          "bare Kafka hop: not measured ("
              + e
              + "); check --kafka, or give --kafka-probe 0 to skip it");
    }
  }
}
