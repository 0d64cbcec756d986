package t2i.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import t2i.diffusion.engine.EngineSettings;
import t2i.diffusion.engine.Unet;
import t2i.pipeline.engine.GpuPreflight;
import t2i.pipeline.failure.InfrastructureUnavailable;
import t2i.pipeline.failure.StageFatalError;
import t2i.pipeline.model.ModelDirectory;
import t2i.pipeline.stage.InferenceDefaults;
import t2i.pipeline.tensor.FloatTensor;
import t2i.v1.GenerateRequest;
import t2i.v1.JobState;
import t2i.v1.Scheduler;

/**
 * The batching denoising engine on the tiny random model, with the reference embeddings; on the
 * CPU, or on a GPU provider named by {@code t2i.test.execution-provider} (see {@link TestEngines}).
 */
class DenoisingEngineTest {

  private static final EngineSettings ENGINE = TestEngines.fromSystemProperties();

  private static ModelDirectory directory;
  private static DiffusionModel model;
  private static FloatTensor cond;
  private static FloatTensor uncond;

  /** Jobs the fake job store says have ended, as a gateway's Cancel would record them. */
  private final Map<String, JobState> ended = new ConcurrentHashMap<>();

  private final AtomicInteger ids = new AtomicInteger();

  @SuppressWarnings("NullAway.Init") // Each test starts its engine with engine(...) first.
  private DenoisingEngine engine;

  private final AtomicReference<Throwable> fatal = new AtomicReference<>();

  @BeforeAll
  static void load() throws IOException {
    InferenceDefaults.apply();
    GpuPreflight.checkThisMachine(ENGINE.ort());
    directory = ModelDirectory.open("tiny-random", TinyRandom.dir());
    model = DiffusionModel.load(directory, ENGINE);
    JsonNode reference = TinyRandom.reference();
    cond = TinyRandom.referenceEmbedding(reference, 0);
    uncond = TinyRandom.referenceEmbedding(reference, 1);
  }

  @AfterAll
  static void closeModel() {
    if (model != null) {
      model.close();
    }
  }

  @AfterEach
  void closeEngine() {
    if (engine != null) {
      engine.close();
    }
  }

  private DenoisingEngine engine(int maxBatchRows, Duration batchWait) {
    return engine(Map.of("tiny-random", model), maxBatchRows, batchWait);
  }

  private DenoisingEngine engine(
      Map<String, DiffusionModel> models, int maxBatchRows, Duration batchWait) {
    engine =
        new DenoisingEngine(
            models,
            new DenoisingEngine.Settings(
                maxBatchRows, batchWait, 64, 4, Duration.ofMillis(2), true),
            jobIds -> {
              Map<String, JobState> found = new ConcurrentHashMap<>();
              jobIds.forEach(
                  id -> {
                    if (ended.containsKey(id)) {
                      found.put(id, ended.get(id));
                    }
                  });
              return found;
            },
            InstantSource.system(),
            fatal::set);
    return engine;
  }

  private static GenerateRequest.Builder request() {
    return GenerateRequest.newBuilder()
        .setPrompt("a red circle at the top left on a white background")
        .setModel("tiny-random")
        .setWidth(64)
        .setHeight(48)
        .setSteps(4)
        .setGuidanceScale(7.5f)
        .setSeed(42)
        .setCount(1);
  }

  private CompletableFuture<List<GeneratedImage>> submit(
      GenerateRequest.Builder request, DenoisingRequest.StepListener steps) {
    return submit(request, cond, uncond, 0, steps);
  }

  private CompletableFuture<List<GeneratedImage>> submit(
      GenerateRequest.Builder request,
      FloatTensor c,
      FloatTensor u,
      long deadline,
      DenoisingRequest.StepListener steps) {
    return engine.submit(
        new DenoisingRequest(
            "job-" + ids.incrementAndGet(), "tiny-random", request.build(), c, u, deadline, steps));
  }

  private List<GeneratedImage> generate(GenerateRequest.Builder request) {
    return submit(request, DenoisingRequest.StepListener.NONE).join();
  }

  private static FloatTensor filled(float value) {
    float[] data = new float[TinyRandom.WINDOW * TinyRandom.HIDDEN];
    Arrays.fill(data, value);
    return new FloatTensor(new int[] {TinyRandom.WINDOW, TinyRandom.HIDDEN}, data);
  }

  private static Throwable cause(CompletableFuture<?> future) {
    try {
      future.join();
      throw new AssertionError("the job was expected to stop");
    } catch (CompletionException e) {
      return Objects.requireNonNull(e.getCause());
    }
  }

  @Test
  void aListenerOfLatents_seesThePreviewOfTheFirstImageAfterEveryStep() {
    engine(8, Duration.ZERO);
    List<String> peeks = new java.util.concurrent.CopyOnWriteArrayList<>();
    DenoisingRequest.StepListener listener =
        new DenoisingRequest.StepListener() {
          @Override
          public void stepDone(int step, int totalSteps) {}

          @Override
          public void latentAfterStep(int step, int total, DenoisingRequest.LatentPeek latent) {
            byte[] rgb = latent.rgb();
            peeks.add(
                step
                    + "/"
                    + total
                    + " "
                    + latent.width()
                    + "x"
                    + latent.height()
                    + " "
                    + rgb.length);
          }
        };

    submit(request().setSteps(3).setCount(2), listener).join();

    // 64x48 pixels are an 8x6 latent: one RGB pixel per latent pixel.
    assertThat(peeks).containsExactly("1/3 8x6 144", "2/3 8x6 144", "3/3 8x6 144");
  }

  @Test
  void anErrorOnTheDenoisingThread_failsItsJobs_reportsItFatal_andRefusesNewJobs() {
    engine(8, Duration.ZERO);

    CompletableFuture<List<GeneratedImage>> doomed =
        submit(
            request().setSteps(3),
            (step, total) -> {
              throw new AssertionError("the denoising thread died");
            });

    assertThat(cause(doomed)).isInstanceOf(StageFatalError.class);
    assertThat(fatal.get()).isInstanceOf(AssertionError.class);
    assertThat(engine.isHealthy()).isFalse();
    assertThat(cause(submit(request(), DenoisingRequest.StepListener.NONE)))
        .isInstanceOf(StageFatalError.class);
  }

  @Test
  void aSecondCopyOfARunningJob_isRefused_andARevokedJobStops() {
    engine(8, Duration.ZERO);
    CountDownLatch running = new CountDownLatch(1);
    DenoisingRequest first =
        new DenoisingRequest(
            "same-job",
            "tiny-random",
            request().setSteps(150).build(),
            cond,
            uncond,
            0,
            (step, total) -> running.countDown());
    CompletableFuture<List<GeneratedImage>> original = engine.submit(first);
    awaitLatch(running);

    CompletableFuture<List<GeneratedImage>> copy = engine.submit(first);
    assertThat(cause(copy)).isInstanceOf(InfrastructureUnavailable.class);

    engine.revoke("same-job");
    assertThat(cause(original)).isInstanceOf(JobRevoked.class);
  }

  private static void awaitLatch(CountDownLatch latch) {
    try {
      assertThat(latch.await(30, TimeUnit.SECONDS)).isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Test
  void image_hasTheRequestedSizeAndSeed() {
    engine(8, Duration.ZERO);
    GeneratedImage image = generate(request()).getFirst();

    assertThat(image.index()).isZero();
    assertThat(image.seed()).isEqualTo(42);
    assertThat(image.width()).isEqualTo(64);
    assertThat(image.height()).isEqualTo(48);
    assertThat(image.rgb()).hasSize(64 * 48 * 3);
  }

  @Test
  void sameRequestAndSeed_givesByteIdenticalImages_alsoOnASeparatelyLoadedModel()
      throws IOException {
    engine(8, Duration.ZERO);
    byte[] first = generate(request()).getFirst().rgb();
    byte[] second = generate(request()).getFirst().rgb();
    engine.close();

    try (DiffusionModel other = DiffusionModel.load(directory, ENGINE)) {
      engine(Map.of("tiny-random", other), 8, Duration.ZERO);
      byte[] there = generate(request()).getFirst().rgb();

      assertThat(second).isEqualTo(first);
      assertThat(there).isEqualTo(first);
    }
  }

  @Test
  void differentSeeds_giveDifferentImages() {
    engine(8, Duration.ZERO);

    assertThat(generate(request().setSeed(43)).getFirst().rgb())
        .isNotEqualTo(generate(request().setSeed(42)).getFirst().rgb());
  }

  @Test
  void countOfTwo_givesImagesWithSeedsSAndSPlusOne_eachAsItsSeedGivesAlone() {
    engine(8, Duration.ZERO);
    List<GeneratedImage> images = generate(request().setSeed(1000).setCount(2));
    byte[] alone = generate(request().setSeed(1001)).getFirst().rgb();

    assertThat(images).extracting(GeneratedImage::seed).containsExactly(1000L, 1001L);
    assertThat(images.get(1).rgb()).isEqualTo(alone);
  }

  @Test
  void image_isTheSameWhateverElseIsInTheBatch() {
    engine(1, Duration.ZERO);
    byte[] alone = generate(request().setSeed(7).setSteps(6)).getFirst().rgb();
    engine.close();

    // Now with other jobs (other prompts, guidance, seeds) in the same UNet calls.
    engine(16, Duration.ofMillis(200));
    CompletableFuture<List<GeneratedImage>> target =
        submit(request().setSeed(7).setSteps(6), DenoisingRequest.StepListener.NONE);
    CompletableFuture<List<GeneratedImage>> other1 =
        submit(request().setSeed(1).setSteps(6).setCount(2), cond, cond, 0, (s, t) -> {});
    CompletableFuture<List<GeneratedImage>> other2 =
        submit(
            request().setSeed(2).setSteps(6).setGuidanceScale(1f),
            DenoisingRequest.StepListener.NONE);

    assertThat(target.join().getFirst().rgb()).isEqualTo(alone);
    other1.join();
    other2.join();
    assertThat(engine.stats().unetCalls()).as("one call per step for all three").isEqualTo(6);
  }

  @Test
  void imagesOfABatchSplitAmongParallelUnetCalls_areTheImagesOfOneCall() throws IOException {
    engine(16, Duration.ofMillis(200));
    List<CompletableFuture<List<GeneratedImage>>> together = submitThreeJobs();
    List<byte[]> expected = images(together);
    engine.close();
    assumeTrue(ENGINE.runsOnCpu(), "parallel UNet calls are for the CPU");

    try (DiffusionModel split = DiffusionModel.load(directory, ENGINE, 2)) {
      engine(Map.of("tiny-random", split), 16, Duration.ofMillis(200));
      List<byte[]> fromSplit = images(submitThreeJobs());

      assertThat(fromSplit).containsExactlyElementsOf(expected);
      assertThat(engine.stats().unetCalls()).as("one call per step for all three").isEqualTo(6);
    }
  }

  /** Three jobs that share every UNet call: 5 rows, so a split is uneven. */
  private List<CompletableFuture<List<GeneratedImage>>> submitThreeJobs() {
    return List.of(
        submit(request().setSeed(7).setSteps(6), DenoisingRequest.StepListener.NONE),
        submit(request().setSeed(1).setSteps(6).setCount(2), cond, cond, 0, (s, t) -> {}),
        submit(
            request().setSeed(2).setSteps(6).setGuidanceScale(1f),
            DenoisingRequest.StepListener.NONE));
  }

  private static List<byte[]> images(List<CompletableFuture<List<GeneratedImage>>> jobs) {
    return jobs.stream().flatMap(job -> job.join().stream()).map(GeneratedImage::rgb).toList();
  }

  @Test
  void jobArrivingMidRun_joinsTheBatchAtTheNextStep_andStillGivesItsOwnImage() {
    engine(1, Duration.ZERO);
    byte[] alone = generate(request().setSeed(9).setSteps(10)).getFirst().rgb();
    engine.close();

    engine(16, Duration.ZERO);
    CompletableFuture<List<GeneratedImage>> second = new CompletableFuture<>();
    CompletableFuture<List<GeneratedImage>> first =
        submit(
            request().setSeed(5).setSteps(10),
            (step, total) -> {
              if (step == 3) {
                var unused =
                    submit(request().setSeed(9).setSteps(10), DenoisingRequest.StepListener.NONE)
                        .whenComplete(
                            (images, error) -> {
                              if (error != null) {
                                second.completeExceptionally(error);
                              } else {
                                second.complete(images);
                              }
                            });
              }
            });

    first.join();
    assertThat(second.join().getFirst().rgb()).isEqualTo(alone);
    // 10 steps each, 7 of them shared: 13 calls instead of 20.
    assertThat(engine.stats().unetCalls()).isEqualTo(13);
  }

  @Test
  void scalarTimestepModel_groupsJobsAtEqualTimesteps() throws IOException {
    try (Unet scalar =
        Unet.load(TinyRandom.variant("unet_float_timestep"), "tiny-random-scalar", ENGINE)) {
      DiffusionModel scalarModel =
          new DiffusionModel(
              directory, scalar, model.vaeDecoder(), model.scheduler(), model.preview());
      engine(Map.of("tiny-random", scalarModel), 16, Duration.ofMillis(200));
      List<CompletableFuture<List<GeneratedImage>>> together = new ArrayList<>();
      for (int seed = 0; seed < 3; seed++) {
        together.add(
            submit(request().setSeed(seed).setSteps(5), DenoisingRequest.StepListener.NONE));
      }
      together.forEach(CompletableFuture::join);

      assertThat(scalar.acceptsPerSampleTimesteps()).isFalse();
      assertThat(engine.stats().unetCalls()).as("same timesteps share every call").isEqualTo(5);
    }
  }

  @Test
  void guidanceOfOneOrLess_leavesOutTheNegativePrompt() {
    engine(8, Duration.ZERO);
    // With guidance off the negative prompt is not run: even NaN embeddings cannot reach the image.
    FloatTensor poisoned = filled(Float.NaN);
    for (float guidance : new float[] {1f, 0.5f, 0f}) {
      GenerateRequest.Builder request = request().setGuidanceScale(guidance);
      byte[] withPoison = submit(request, cond, poisoned, 0, (s, t) -> {}).join().getFirst().rgb();
      byte[] withNegative = submit(request, cond, uncond, 0, (s, t) -> {}).join().getFirst().rgb();

      assertThat(withPoison).as("guidance %s", guidance).isEqualTo(withNegative);
    }
    assertThat(generate(request().setGuidanceScale(7.5f)).getFirst().rgb())
        .isNotEqualTo(generate(request().setGuidanceScale(1f)).getFirst().rgb());
  }

  @Test
  void everyStep_isReportedWithTheTotal() {
    engine(8, Duration.ZERO);
    List<int[]> reports = new ArrayList<>();

    submit(request().setSteps(5), (step, total) -> reports.add(new int[] {step, total})).join();

    assertThat(reports)
        .containsExactly(
            new int[] {1, 5},
            new int[] {2, 5},
            new int[] {3, 5},
            new int[] {4, 5},
            new int[] {5, 5});
  }

  @Test
  void requestedScheduler_isUsed() {
    engine(8, Duration.ZERO);
    byte[] ddim = generate(request().setScheduler(Scheduler.DDIM)).getFirst().rgb();
    byte[] euler = generate(request().setScheduler(Scheduler.EULER)).getFirst().rgb();
    byte[] lcm =
        generate(request().setScheduler(Scheduler.LCM).setGuidanceScale(1f)).getFirst().rgb();
    byte[] karras = generate(request().setScheduler(Scheduler.DPMPP_2M_KARRAS)).getFirst().rgb();

    assertThat(
            Set.of(
                Arrays.hashCode(ddim),
                Arrays.hashCode(euler),
                Arrays.hashCode(lcm),
                Arrays.hashCode(karras)))
        .hasSize(4);
  }

  @Test
  void cancelledJob_stopsAtAStepBoundaryWithoutImages() {
    engine(8, Duration.ZERO);
    AtomicInteger lastStep = new AtomicInteger();
    String id = "job-" + (ids.get() + 1);
    CompletableFuture<List<GeneratedImage>> job =
        submit(
            request().setSteps(400),
            (step, total) -> {
              lastStep.set(step);
              if (step == 5) {
                ended.put(id, JobState.CANCELLED);
              }
            });

    Throwable stopped = cause(job);

    assertThat(stopped).isInstanceOf(JobStopped.class);
    assertThat(((JobStopped) stopped).state()).isEqualTo(JobState.CANCELLED);
    assertThat(lastStep.get()).isBetween(5, 399);
    assertThat(engine.stats().vaeCalls()).isZero();
  }

  @Test
  void jobPastItsDeadline_stopsAsExpired() {
    engine(8, Duration.ZERO);
    long deadline = System.currentTimeMillis() + 50;

    Throwable stopped =
        cause(submit(request().setSteps(500), cond, uncond, deadline, (s, t) -> {}));

    assertThat(((JobStopped) stopped).state()).isEqualTo(JobState.EXPIRED);
    assertThat(stopped.getMessage()).contains("deadline passed during denoising");
  }

  @Test
  void stepsBeyondTheSchedulersLimit_areRejectedNamingTheLimit() {
    engine(8, Duration.ZERO);

    assertThat(cause(submit(request().setSteps(1001), DenoisingRequest.StepListener.NONE)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("num_train_timesteps (1000)");
  }

  @Test
  void embeddingsOfDifferentShapes_areRejected() {
    engine(8, Duration.ZERO);
    FloatTensor shorter =
        new FloatTensor(new int[] {1, TinyRandom.HIDDEN}, new float[TinyRandom.HIDDEN]);

    assertThat(cause(submit(request(), cond, shorter, 0, (s, t) -> {})))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("differ in shape");
  }

  @Test
  void closedEngine_refusesNewJobs() {
    engine(8, Duration.ZERO);
    engine.close();

    assertThatThrownBy(() -> generate(request())).hasMessageContaining("stopping");
  }
}
