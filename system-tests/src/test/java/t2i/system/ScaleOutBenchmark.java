package t2i.system;

import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import t2i.client.Channels;
import t2i.launcher.LocalCluster;
import t2i.launcher.Service;
import t2i.v1.GenerateEvent;
import t2i.v1.GenerateRequest;
import t2i.v1.TextToImageGrpc;

/**
 * Measures how diffusion workers scale out: images/s of one worker, then of two, under the same
 * saturating closed-loop load, in one run. Each worker is pinned to a core of its own ({@code
 * taskset}) with one ONNX Runtime thread, so a worker is a fixed share of the machine; the other
 * services, the broker and Redis run unpinned. Run on purpose, not by {@code verify}:
 *
 * <pre>
 * ./mvnw -B -q install -DskipTests
 * ./mvnw -B -q -pl system-tests test-compile exec:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=t2i.system.ScaleOutBenchmark -Dexec.args="shapes 128 30 12 20 60"
 * </pre>
 *
 * Arguments: model, image side, steps, concurrent clients, warm-up seconds, measured seconds.
 */
public final class ScaleOutBenchmark {

  private ScaleOutBenchmark() {}

  public static void main(String[] args) throws Exception {
    String model = args.length > 0 ? args[0] : "shapes";
    int side = args.length > 1 ? Integer.parseInt(args[1]) : 128;
    int steps = args.length > 2 ? Integer.parseInt(args[2]) : 30;
    int clients = args.length > 3 ? Integer.parseInt(args[3]) : 12;
    Duration warmUp = Duration.ofSeconds(args.length > 4 ? Long.parseLong(args[4]) : 20);
    Duration measured = Duration.ofSeconds(args.length > 5 ? Long.parseLong(args[5]) : 60);
    Path home = Path.of(System.getProperty("repo.root", ".")).toAbsolutePath();
    GenerateRequest request =
        GenerateRequest.newBuilder()
            .setPrompt("a red circle at the top left on a white background")
            .setModel(model)
            .setWidth(side)
            .setHeight(side)
            .setSteps(steps)
            .setGuidanceScale(7.5f)
            .setCount(1)
            .build();
    LocalCluster.Options options =
        LocalCluster.Options.forCheckout(home)
            .withLogDir(home.resolve("system-tests/target/scale-out-logs"))
            .withInstances(Service.DIFFUSION, 0)
            .withExtraConfig(
                Map.of(
                    "t2i.gateway.quota.max-jobs-in-flight", "100000",
                    "t2i.gateway.quota.max-submissions", "100000",
                    "t2i.diffusion.max-batch-rows", "8"));
    // One core, one thread, one UNet call at a time: the worker the README's table measured.
    Map<String, String> pinnedWorker =
        Map.of("t2i.engine.intra-op-threads", "1", "t2i.diffusion.parallel-unet-calls", "1");
    List<String> rows = new ArrayList<>();
    try (LocalCluster cluster = LocalCluster.start(options, line -> System.err.println(line))) {
      ManagedChannel channel = Channels.open(cluster.gatewayAddress());
      cluster.addInstance(Service.DIFFUSION, pinnedWorker, List.of("taskset", "-c", "0"));
      Result one = measure(cluster, channel, request, clients, warmUp, measured);
      cluster.addInstance(Service.DIFFUSION, pinnedWorker, List.of("taskset", "-c", "1"));
      Result two = measure(cluster, channel, request, clients, warmUp, measured);
      rows.add(one.row("1", one));
      rows.add(two.row("2", one));
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    System.out.printf(
        "%nScale-out: %s %dx%d, %d steps, guidance 7.5, %d clients, %s measured after %s%n",
        model, side, side, steps, clients, measured, warmUp);
    System.out.println(
        "| diffusion workers (one core each) | images/s | speed-up | mean latency | p95 latency |"
            + " CPU of the workers | CPU of everything else | images per worker CPU-second |"
            + " per-worker-CPU speed-up |");
    System.out.println("|---|---|---|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
  }

  /**
   * One phase's results; CPU in cores (CPU-seconds per second) over the measured window, "else"
   * being the other services and this JVM (broker, Redis's client side, the clients).
   */
  private record Result(
      double imagesPerSecond,
      double meanMillis,
      double p95Millis,
      double workerCores,
      double otherCores) {

    double imagesPerWorkerCpuSecond() {
      return imagesPerSecond / workerCores;
    }

    String row(String workers, Result baseline) {
      return "| %s | %.2f | %.2fx | %.0f ms | %.0f ms | %.2f cores | %.2f cores | %.2f | %.2fx |"
          .formatted(
              workers,
              imagesPerSecond,
              imagesPerSecond / baseline.imagesPerSecond,
              meanMillis,
              p95Millis,
              workerCores,
              otherCores,
              imagesPerWorkerCpuSecond(),
              imagesPerWorkerCpuSecond() / baseline.imagesPerWorkerCpuSecond());
    }
  }

  /** CPU time used so far by the diffusion workers, and by everything else of t2i here. */
  private static double[] cpuSeconds(LocalCluster cluster) {
    double workers = 0;
    double others = ProcessHandle.current().info().totalCpuDuration().orElseThrow().toNanos() / 1e9;
    for (Service service : Service.values()) {
      for (String name : cluster.instances(service)) {
        double seconds = cluster.cpuTime(name).toNanos() / 1e9;
        if (service == Service.DIFFUSION) {
          workers += seconds;
        } else {
          others += seconds;
        }
      }
    }
    return new double[] {workers, others};
  }

  /** Closed loop: each client sends its next request when its last one completed. */
  private static Result measure(
      LocalCluster cluster,
      ManagedChannel channel,
      GenerateRequest request,
      int clients,
      Duration warmUp,
      Duration measured)
      throws InterruptedException {
    AtomicBoolean stop = new AtomicBoolean();
    long measureFrom = System.nanoTime() + warmUp.toNanos();
    long measureTo = measureFrom + measured.toNanos();
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    double[] cpu = new double[2];
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int c = 0; c < clients; c++) {
        int client = c;
        pool.execute(
            () -> {
              long seed = client * 1_000_000L;
              while (!stop.get()) {
                long start = System.nanoTime();
                var events =
                    TextToImageGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(5, TimeUnit.MINUTES)
                        .generate(request.toBuilder().setSeed(seed++).build());
                boolean completed = false;
                while (events.hasNext()) {
                  GenerateEvent event = events.next();
                  completed |= event.hasCompleted();
                }
                long end = System.nanoTime();
                if (completed && end >= measureFrom && end < measureTo) {
                  latencies.add(end - start);
                }
              }
            });
      }
      Thread.sleep(Duration.ofNanos(measureFrom - System.nanoTime()).toMillis());
      double[] cpuFrom = cpuSeconds(cluster);
      Thread.sleep(Duration.ofNanos(measureTo - System.nanoTime()).toMillis());
      double[] cpuTo = cpuSeconds(cluster);
      cpu[0] = (cpuTo[0] - cpuFrom[0]) / (measured.toNanos() / 1e9);
      cpu[1] = (cpuTo[1] - cpuFrom[1]) / (measured.toNanos() / 1e9);
      stop.set(true);
    }
    List<Long> sorted = new ArrayList<>(latencies);
    Collections.sort(sorted);
    double mean = sorted.stream().mapToLong(Long::longValue).average().orElse(0) / 1e6;
    double p95 = sorted.isEmpty() ? 0 : sorted.get((int) (sorted.size() * 0.95)) / 1e6;
    return new Result(sorted.size() / (measured.toNanos() / 1e9), mean, p95, cpu[0], cpu[1]);
  }
}
