package t2i.diffusion;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import t2i.diffusion.engine.EngineSettings;
import t2i.diffusion.image.PngEncoder;
import t2i.pipeline.config.EngineName;
import t2i.pipeline.model.ModelDirectory;
import t2i.pipeline.model.OnnxSignature;
import t2i.pipeline.stage.InferenceDefaults;
import t2i.pipeline.tensor.FloatTensor;
import t2i.v1.GenerateRequest;

/**
 * Measures the denoising engine on a real model, with baselines taken in the same run.
 *
 * <ul>
 *   <li>{@code overhead}: one image at a time; the worker's wall time per image (UNet steps, VAE
 *       decode, PNG encoding and everything between) against the time spent inside the engine's
 *       UNet and VAE calls. The difference is the Java side's overhead.
 *   <li>{@code batching}: 8 clients, each submitting its next job when the last one is done, jobs
 *       of different lengths (half to one and a half times the given steps); UNet batches of one
 *       job (batch size 1), batches formed only when jobs start together, and step-level continuous
 *       batching, with the UNet in one call at a time; then batch size 1 and continuous batching
 *       with the UNet split into 2 parallel calls (the worker's default on 2 or more cores). The
 *       modes run in interleaved rounds ({@code -Dt2i.bench.rounds}, default 5).
 * </ul>
 *
 * <p>Run from the repository root, e.g. {@code ./mvnw -B -q -pl diffusion-worker test-compile
 * exec:java -Dexec.classpathScope=test -Dexec.mainClass=t2i.diffusion.DenoisingBenchmark
 * -Dexec.args="batching models/tiny-random 64 20"}. Arguments: mode, model directory, image size,
 * steps, and whether idle ONNX Runtime threads may spin (default false, as the worker runs).
 */
public final class DenoisingBenchmark {

  private static final int CLIENTS = 8;
  private static final int JOBS_PER_CLIENT = 6;

  private DenoisingBenchmark() {}

  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "overhead";
    Path dir = Path.of(args.length > 1 ? args[1] : "models/tiny-random");
    int size = args.length > 2 ? Integer.parseInt(args[2]) : 64;
    int steps = args.length > 3 ? Integer.parseInt(args[3]) : 20;
    boolean spinning = args.length > 4 && Boolean.parseBoolean(args[4]);
    InferenceDefaults.apply();
    ModelDirectory directory = ModelDirectory.open(dir.getFileName().toString(), dir);
    int hidden = hiddenSize(directory);
    try (DiffusionModel model =
        DiffusionModel.load(directory, new EngineSettings(EngineName.OnnxRuntime, 0, spinning))) {
      System.out.printf(
          Locale.ROOT,
          "model %s, %dx%d, %d steps, guidance 7.5, ONNX Runtime threads spinning: %s, %d cores,"
              + " %s%n",
          directory.name(),
          size,
          size,
          steps,
          spinning,
          Runtime.getRuntime().availableProcessors(),
          System.getProperty("java.vm.version"));
      switch (mode) {
        case "overhead" -> overhead(model, hidden, size, steps);
        case "batching" -> {
          try (DiffusionModel split =
              DiffusionModel.load(
                  directory, new EngineSettings(EngineName.OnnxRuntime, 0, spinning), 2)) {
            batching(model, split, hidden, size, steps);
          }
        }
        default -> throw new IllegalArgumentException("mode must be overhead or batching");
      }
    }
  }

  /** The width of the text embeddings the model's UNet takes. */
  static int hiddenSize(ModelDirectory directory) throws IOException {
    return (int)
        OnnxSignature.read(directory.unet())
            .input("encoder_hidden_states")
            .orElseThrow()
            .shape()
            .get(2)
            .size();
  }

  static FloatTensor embedding(int hidden, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] data = new float[77 * hidden];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) random.nextGaussian();
    }
    return new FloatTensor(new int[] {77, hidden}, data);
  }

  static DenoisingRequest request(
      DiffusionModel model, int hidden, int size, int steps, long seed) {
    GenerateRequest request =
        GenerateRequest.newBuilder()
            .setPrompt("benchmark")
            .setModel(model.directory().name())
            .setWidth(size)
            .setHeight(size)
            .setSteps(steps)
            .setGuidanceScale(7.5f)
            .setSeed(seed)
            .setCount(1)
            .build();
    return new DenoisingRequest(
        "job-" + seed,
        model.directory().name(),
        request,
        embedding(hidden, seed),
        embedding(hidden, seed + 1_000_000),
        0,
        DenoisingRequest.StepListener.NONE);
  }

  static DenoisingEngine engine(DiffusionModel model, int maxRows, boolean continuous) {
    return new DenoisingEngine(
        Map.of(model.directory().name(), model),
        new DenoisingEngine.Settings(
            maxRows, Duration.ofMillis(20), 64, 4, Duration.ofMillis(50), continuous),
        JobStatus.NEVER,
        InstantSource.system());
  }

  /** Wall time of one job, from submission to PNG bytes. */
  private static long timeOne(DenoisingEngine engine, DenoisingRequest request) {
    long start = System.nanoTime();
    for (GeneratedImage image : engine.submit(request).join()) {
      PngEncoder.encodeRgb(image.rgb(), image.width(), image.height());
    }
    return System.nanoTime() - start;
  }

  private static void overhead(DiffusionModel model, int hidden, int size, int steps) {
    int warmUp = 5;
    int measured = Integer.getInteger("t2i.bench.images", 30);
    try (DenoisingEngine engine = engine(model, 2, true)) {
      for (int i = 0; i < warmUp; i++) {
        timeOne(engine, request(model, hidden, size, steps, i));
      }
      long engineBefore = model.unet().engineNanos() + model.vaeDecoder().engineNanos();
      DenoisingEngine.Stats before = engine.stats();
      long wall = 0;
      for (int i = 0; i < measured; i++) {
        wall += timeOne(engine, request(model, hidden, size, steps, 100 + i));
      }
      long engineTime =
          model.unet().engineNanos() + model.vaeDecoder().engineNanos() - engineBefore;
      DenoisingEngine.Stats after = engine.stats();
      // Calls as the loop sees them, tensor conversion included.
      long wrapped = after.unetNanos() - before.unetNanos() + after.vaeNanos() - before.vaeNanos();
      System.out.printf(
          Locale.ROOT,
          "| images | wall per image | UNet + VAE calls per image | Java-side overhead | of which"
              + " tensor conversion |%n"
              + "|---|---|---|---|---|%n"
              + "| %d | %.2f ms | %.2f ms | %.2f %% | %.2f %% |%n",
          measured,
          wall / 1e6 / measured,
          engineTime / 1e6 / measured,
          100.0 * (wall - engineTime) / wall,
          100.0 * (wrapped - engineTime) / wall);
    }
  }

  /**
   * One way of batching the benchmark compares, on the model with one or two UNet calls at once.
   */
  private record BatchingMode(String name, int maxRows, boolean continuous, boolean split) {}

  /** What one round of one mode measured. */
  private record BatchingRun(
      double imagesPerSecond,
      double meanLatencyMs,
      double p95LatencyMs,
      long calls,
      long rows,
      double unetBusy,
      double vaeBusy) {}

  /**
   * Runs the modes in interleaved rounds (1, 2, 3, 1, 2, 3, ...) so that a slow spell of a shared
   * machine falls on every mode alike, and takes each round's speed-up against the baseline of the
   * same round. The table shows each mode's median round; the speed-ups of every round follow it.
   */
  private static void batching(
      DiffusionModel model, DiffusionModel split, int hidden, int size, int steps)
      throws Exception {
    int rounds = Integer.getInteger("t2i.bench.rounds", 5);
    BatchingMode splitOne =
        new BatchingMode("batch size 1, default engine (2 parallel calls)", 2, true, true);
    BatchingMode splitContinuous =
        new BatchingMode("continuous, default engine (2 parallel calls)", 16, true, true);
    List<BatchingMode> modes =
        List.of(
            new BatchingMode("batch size 1 (one job per call)", 2, true, false),
            new BatchingMode("dynamic (jobs that start together)", 16, false, false),
            new BatchingMode("continuous (join at step boundaries)", 16, true, false),
            splitOne,
            splitContinuous);
    List<List<BatchingRun>> runs = new ArrayList<>();
    modes.forEach(mode -> runs.add(new ArrayList<>()));
    for (int round = 0; round < rounds; round++) {
      for (int m = 0; m < modes.size(); m++) {
        BatchingMode mode = modes.get(m);
        runs.get(m).add(runOnce(mode, mode.split() ? split : model, hidden, size, steps));
      }
    }
    System.out.printf(
        Locale.ROOT,
        "%d interleaved rounds of %d jobs per mode; each row is the mode's median round%n%n",
        rounds,
        CLIENTS * JOBS_PER_CLIENT);
    System.out.println(
        "| UNet batching | images/s | speed-up | mean latency | p95 latency | UNet calls | rows per"
            + " call | UNet busy | VAE busy |");
    System.out.println("|---|---|---|---|---|---|---|---|---|");
    List<BatchingRun> baseline = runs.getFirst();
    StringBuilder perRound = new StringBuilder();
    for (int m = 0; m < modes.size(); m++) {
      List<BatchingRun> mode = runs.get(m);
      double[] speedUps = ratios(mode, baseline);
      BatchingRun median =
          mode.stream()
              .sorted((x, y) -> Double.compare(x.imagesPerSecond(), y.imagesPerSecond()))
              .toList()
              .get(rounds / 2);
      System.out.printf(
          Locale.ROOT,
          "| %s | %.2f | %.2fx | %.0f ms | %.0f ms | %d | %.1f | %.0f %% | %.0f %% |%n",
          modes.get(m).name(),
          median.imagesPerSecond(),
          median(speedUps),
          median.meanLatencyMs(),
          median.p95LatencyMs(),
          median.calls(),
          (double) median.rows() / median.calls(),
          100 * median.unetBusy(),
          100 * median.vaeBusy());
      perRound.append(
          String.format(
              Locale.ROOT, "%s: speed-up by round %s%n", modes.get(m).name(), format(speedUps)));
    }
    System.out.printf("%n%s", perRound);
    // Batching alone, on the default engine (2 parallel calls): continuous over batch size 1.
    double[] gains =
        ratios(runs.get(modes.indexOf(splitContinuous)), runs.get(modes.indexOf(splitOne)));
    System.out.printf(
        Locale.ROOT,
        "batching gain on the default engine (continuous over its batch size 1): median %.2fx,"
            + " by round %s%n",
        median(gains),
        format(gains));
  }

  /** Each round's images per second of {@code runs} over those of {@code baseline}. */
  private static double[] ratios(List<BatchingRun> runs, List<BatchingRun> baseline) {
    double[] ratios = new double[runs.size()];
    for (int round = 0; round < ratios.length; round++) {
      ratios[round] = runs.get(round).imagesPerSecond() / baseline.get(round).imagesPerSecond();
    }
    return ratios;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static List<String> format(double[] ratios) {
    return Arrays.stream(ratios).mapToObj(x -> String.format(Locale.ROOT, "%.2fx", x)).toList();
  }

  /** A fresh engine of the mode, warmed up, then the closed-loop load once. */
  private static BatchingRun runOnce(
      BatchingMode mode, DiffusionModel model, int hidden, int size, int steps) throws Exception {
    try (DenoisingEngine engine = engine(model, mode.maxRows(), mode.continuous())) {
      for (int i = 0; i < 4; i++) {
        timeOne(engine, request(model, hidden, size, steps, 50 + i));
      }
      DenoisingEngine.Stats before = engine.stats();
      long start = System.nanoTime();
      List<Long> latencies = run(engine, model, hidden, size, steps);
      double seconds = (System.nanoTime() - start) / 1e9;
      DenoisingEngine.Stats after = engine.stats();
      long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
      return new BatchingRun(
          latencies.size() / seconds,
          Arrays.stream(sorted).average().orElse(0) / 1e6,
          sorted[(int) Math.ceil(sorted.length * 0.95) - 1] / 1e6,
          after.unetCalls() - before.unetCalls(),
          after.unetRows() - before.unetRows(),
          (after.unetNanos() - before.unetNanos()) / 1e9 / seconds,
          (after.vaeNanos() - before.vaeNanos()) / 1e9 / seconds);
    }
  }

  /** 8 clients in a closed loop; returns every job's latency in nanoseconds. */
  private static List<Long> run(
      DenoisingEngine engine, DiffusionModel model, int hidden, int size, int steps)
      throws Exception {
    List<Future<List<Long>>> clients = new ArrayList<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(CLIENTS)) {
      for (int c = 0; c < CLIENTS; c++) {
        int client = c;
        clients.add(
            pool.submit(
                () -> {
                  List<Long> latencies = new ArrayList<>();
                  for (int j = 0; j < JOBS_PER_CLIENT; j++) {
                    long seed = 1000L * client + j;
                    // Requests differ in length: steps/2 to 3*steps/2, the same set in every mode.
                    int jobSteps = steps / 2 + (int) ((client * 7L + j * 13L) % (steps + 1));
                    latencies.add(timeOne(engine, request(model, hidden, size, jobSteps, seed)));
                  }
                  return latencies;
                }));
      }
      List<Long> all = new ArrayList<>();
      for (Future<List<Long>> client : clients) {
        all.addAll(client.get());
      }
      return all;
    }
  }
}
