package t2i.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import t2i.diffusion.engine.EngineSettings;
import t2i.pipeline.model.ModelDirectory;
import t2i.pipeline.stage.InferenceDefaults;
import t2i.pipeline.tensor.FloatTensor;
import t2i.v1.GenerateRequest;

/** The denoising loop on the tiny random model, with the reference prompt's embeddings. */
class TextToImageTest {

  private static final EngineSettings ENGINE = new EngineSettings("OnnxRuntime", 0);
  private static final TextToImage.StepListener IGNORE = (step, total) -> {};

  private static ModelDirectory directory;
  private static DiffusionModel model;
  private static TextToImage pipeline;
  private static FloatTensor cond;
  private static FloatTensor uncond;

  @BeforeAll
  static void load() throws IOException {
    InferenceDefaults.apply();
    directory = ModelDirectory.open("tiny-random", TinyRandom.dir());
    model = DiffusionModel.load(directory, ENGINE);
    pipeline = new TextToImage(model);
    JsonNode reference = TinyRandom.reference();
    cond = TinyRandom.referenceEmbedding(reference, 0);
    uncond = TinyRandom.referenceEmbedding(reference, 1);
  }

  @AfterAll
  static void close() {
    if (model != null) {
      model.close();
    }
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

  private static List<GeneratedImage> generate(GenerateRequest.Builder request) {
    return pipeline.generate(request.build(), cond, uncond, IGNORE);
  }

  private static FloatTensor filled(float value) {
    float[] data = new float[TinyRandom.WINDOW * TinyRandom.HIDDEN];
    Arrays.fill(data, value);
    return new FloatTensor(new int[] {TinyRandom.WINDOW, TinyRandom.HIDDEN}, data);
  }

  @Test
  void image_hasTheRequestedSizeAndSeed() {
    GeneratedImage image = generate(request()).getFirst();

    assertThat(image.index()).isZero();
    assertThat(image.seed()).isEqualTo(42);
    assertThat(image.width()).isEqualTo(64);
    assertThat(image.height()).isEqualTo(48);
    assertThat(image.rgb()).hasSize(64 * 48 * 3);
  }

  @Test
  void sameRequestAndSeed_givesByteIdenticalImages() {
    byte[] first = generate(request()).getFirst().rgb();
    byte[] second = generate(request()).getFirst().rgb();

    assertThat(second).isEqualTo(first);
  }

  @Test
  void sameRequestAndSeed_givesByteIdenticalImagesOnASeparatelyLoadedModel() throws IOException {
    byte[] here = generate(request()).getFirst().rgb();

    try (DiffusionModel other = DiffusionModel.load(directory, ENGINE)) {
      byte[] there =
          new TextToImage(other).generate(request().build(), cond, uncond, IGNORE).getFirst().rgb();

      assertThat(there).isEqualTo(here);
    }
  }

  @Test
  void differentSeeds_giveDifferentImages() {
    byte[] seed42 = generate(request().setSeed(42)).getFirst().rgb();
    byte[] seed43 = generate(request().setSeed(43)).getFirst().rgb();

    assertThat(seed43).isNotEqualTo(seed42);
  }

  @Test
  void countOfTwo_givesImagesWithSeedsSAndSPlusOne() {
    List<GeneratedImage> images = generate(request().setSeed(1000).setCount(2));

    assertThat(images).extracting(GeneratedImage::index).containsExactly(0, 1);
    assertThat(images).extracting(GeneratedImage::seed).containsExactly(1000L, 1001L);
    assertThat(images.get(1).rgb()).isNotEqualTo(images.get(0).rgb());
    assertThat(images).allSatisfy(image -> assertThat(image.rgb()).hasSize(64 * 48 * 3));
  }

  @Test
  void eachImageOfABatch_isTheImageItsSeedGivesAlone() {
    List<GeneratedImage> batch = generate(request().setSeed(1000).setCount(2));
    byte[] alone = generate(request().setSeed(1001).setCount(1)).getFirst().rgb();

    assertThat(batch.get(1).rgb()).isEqualTo(alone);
  }

  @Test
  void guidanceOfOneOrLess_leavesOutTheNegativePrompt() {
    // With guidance off the negative prompt is not run: even NaN embeddings cannot reach the image.
    FloatTensor poisoned = filled(Float.NaN);
    for (float guidance : new float[] {1f, 0.5f, 0f}) {
      GenerateRequest request = request().setGuidanceScale(guidance).build();

      byte[] withPoison = pipeline.generate(request, cond, poisoned, IGNORE).getFirst().rgb();
      byte[] withNegative = pipeline.generate(request, cond, uncond, IGNORE).getFirst().rgb();

      assertThat(withPoison).as("guidance %s", guidance).isEqualTo(withNegative);
    }
    byte[] guided = generate(request().setGuidanceScale(7.5f)).getFirst().rgb();
    byte[] unguided = generate(request().setGuidanceScale(1f)).getFirst().rgb();
    assertThat(guided).isNotEqualTo(unguided);
  }

  @Test
  void everyStep_isReportedWithTheTotal() {
    List<int[]> reports = new ArrayList<>();

    pipeline.generate(
        request().setSteps(5).build(),
        cond,
        uncond,
        (step, total) -> reports.add(new int[] {step, total}));

    assertThat(reports)
        .containsExactly(
            new int[] {1, 5},
            new int[] {2, 5},
            new int[] {3, 5},
            new int[] {4, 5},
            new int[] {5, 5});
  }

  @Test
  void stepsBeyondTheSchedulersLimit_areRejectedNamingTheLimit() {
    assertThatThrownBy(() -> generate(request().setSteps(1001)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("num_train_timesteps (1000)")
        .hasMessageContaining("1001");
  }

  @Test
  void embeddingsOfDifferentShapes_areRejected() {
    FloatTensor shorter =
        new FloatTensor(new int[] {1, TinyRandom.HIDDEN}, new float[TinyRandom.HIDDEN]);

    assertThatThrownBy(() -> pipeline.generate(request().build(), cond, shorter, IGNORE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("differ in shape");
  }
}
