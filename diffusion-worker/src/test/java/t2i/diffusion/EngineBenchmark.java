package t2i.diffusion;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import t2i.diffusion.engine.EngineSettings;
import t2i.pipeline.engine.ExecutionProvider;
import t2i.pipeline.engine.GpuPreflight;
import t2i.pipeline.model.ModelDirectory;
import t2i.pipeline.stage.InferenceDefaults;

/**
 * UNet milliseconds per step and images per second of one model, per execution provider, image size
 * and batch, as one Markdown table. A batch is that many jobs submitted together, with guidance, so
 * that each UNet call holds twice as many rows; a warm-up round per size and batch comes first
 * (where TensorRT builds its engine for the shape). A provider this machine cannot run gets a row
 * saying why.
 *
 * <p>Arguments: model directory, providers, sizes, batches, steps, rounds, e.g. {@code
 * models/shapes CPU,CUDA,TensorRT 64,128,512 1,2,4,8 10 2}. {@code deploy/gpu/check.sh} runs it.
 */
public final class EngineBenchmark {

  private EngineBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "models/shapes");
    List<ExecutionProvider> providers =
        Arrays.stream((args.length > 1 ? args[1] : "CPU").split(",", -1))
            .map(TestEngines::parse)
            .toList();
    int[] sizes = ints(args.length > 2 ? args[2] : "64,128,512");
    int[] batches = ints(args.length > 3 ? args[3] : "1,2,4,8");
    int steps = args.length > 4 ? Integer.parseInt(args[4]) : 10;
    int rounds = args.length > 5 ? Integer.parseInt(args[5]) : 2;
    InferenceDefaults.apply();
    ModelDirectory directory = ModelDirectory.open(dir.getFileName().toString(), dir);
    int hidden = DenoisingBenchmark.hiddenSize(directory);
    int maxBatch = Arrays.stream(batches).max().orElse(1);
    System.out.printf(
        Locale.ROOT,
        "model %s, %d steps, guidance 7.5, %d measured round(s) per row, %d cores%n%n",
        directory.name(),
        steps,
        rounds,
        Runtime.getRuntime().availableProcessors());
    System.out.println("| provider | size | batch | UNet ms per step | images/s |");
    System.out.println("|---|---|---|---|---|");
    for (ExecutionProvider provider : providers) {
      EngineSettings settings =
          TestEngines.on(provider, Integer.getInteger("t2i.test.device-id", 0));
      try {
        GpuPreflight.checkThisMachine(settings.ort());
      } catch (GpuPreflight.GpuUnavailable e) {
        System.out.printf(
            "| %s | - | - | not run: %s | - |%n", settings.describe(), e.getMessage());
        continue;
      }
      try (DiffusionModel model = DiffusionModel.load(directory, settings);
          DenoisingEngine engine = DenoisingBenchmark.engine(model, 2 * maxBatch, true)) {
        for (int size : sizes) {
          for (int batch : batches) {
            row(settings, model, engine, hidden, size, batch, steps, rounds);
          }
        }
      }
    }
  }

  private static void row(
      EngineSettings settings,
      DiffusionModel model,
      DenoisingEngine engine,
      int hidden,
      int size,
      int batch,
      int steps,
      int rounds) {
    round(model, engine, hidden, size, batch, steps, 0);
    long unetBefore = model.unet().engineNanos();
    long start = System.nanoTime();
    for (int r = 1; r <= rounds; r++) {
      round(model, engine, hidden, size, batch, steps, r);
    }
    long wall = System.nanoTime() - start;
    long unet = model.unet().engineNanos() - unetBefore;
    System.out.printf(
        Locale.ROOT,
        "| %s | %d | %d | %.2f | %.2f |%n",
        settings.describe(),
        size,
        batch,
        unet / 1e6 / ((double) steps * rounds),
        batch * rounds / (wall / 1e9));
  }

  /** Submits {@code batch} jobs at once and waits for their images. */
  private static void round(
      DiffusionModel model,
      DenoisingEngine engine,
      int hidden,
      int size,
      int batch,
      int steps,
      int round) {
    List<CompletableFuture<?>> jobs = new ArrayList<>();
    for (int i = 0; i < batch; i++) {
      long seed = 1000L * round + i;
      jobs.add(engine.submit(DenoisingBenchmark.request(model, hidden, size, steps, seed)));
    }
    CompletableFuture.allOf(jobs.toArray(CompletableFuture[]::new)).join();
  }

  private static int[] ints(String csv) {
    return Arrays.stream(csv.split(",", -1)).mapToInt(s -> Integer.parseInt(s.strip())).toArray();
  }
}
