package t2i.diffusion.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import t2i.diffusion.TinyRandom;
import t2i.pipeline.config.EngineName;
import t2i.pipeline.engine.ExecutionProvider;
import t2i.pipeline.engine.OrtEngineSettings;
import t2i.pipeline.engine.TensorRtProfile;
import t2i.pipeline.model.OnnxSignature.ElementType;
import t2i.pipeline.stage.InferenceDefaults;

/**
 * The UNet runner on the tiny random model (int64 timestep vector) and on its export with a float32
 * scalar timestep, checked against the torch reference.
 */
class UnetTest {

  private static final int BATCH = 2;
  private static final int CHANNELS = 4;
  private static final int SIZE = 8;
  private static final int LATENT = CHANNELS * SIZE * SIZE;
  private static final int EMBEDDING = TinyRandom.WINDOW * TinyRandom.HIDDEN;

  /** float32 results of the same graph in ONNX Runtime and torch differ in the last few bits. */
  private static final float TORCH_TOLERANCE = 1e-4f;

  private static JsonNode reference;
  private static float[] sample;
  private static float[] context;
  private static Unet int64Unet;
  private static Unet floatScalarUnet;

  @BeforeAll
  static void load() throws IOException {
    InferenceDefaults.apply();
    EngineSettings engine = new EngineSettings(EngineName.OnnxRuntime, 1, false);
    reference = TinyRandom.reference();
    sample = TinyRandom.floats(reference.get("unet_sample"));
    context = TinyRandom.floats(reference.get("last_hidden_state"));
    int64Unet = Unet.load(TinyRandom.dir().resolve("unet/model.onnx"), "tiny-random", engine);
    floatScalarUnet =
        Unet.load(TinyRandom.variant("unet_float_timestep"), "tiny-random-float-t", engine);
  }

  @AfterAll
  static void close() {
    if (floatScalarUnet != null) {
      floatScalarUnet.close();
    }
    if (int64Unet != null) {
      int64Unet.close();
    }
  }

  /** Runs the UNet with the reference's text embeddings: the prompt's, then the empty prompt's. */
  private static float[] predict(Unet unet, float[] latents, int batch, double... timesteps) {
    return predict(unet, latents, batch, Arrays.copyOf(context, batch * EMBEDDING), timesteps);
  }

  private static float[] predict(
      Unet unet, float[] latents, int batch, float[] ctx, double... timesteps) {
    return unet.predict(
        latents, batch, CHANNELS, SIZE, SIZE, timesteps, ctx, TinyRandom.WINDOW, TinyRandom.HIDDEN);
  }

  @Test
  void timestepForm_isReadFromTheModel() {
    assertThat(int64Unet.timestepType()).isEqualTo(ElementType.INT64);
    assertThat(int64Unet.acceptsPerSampleTimesteps()).isTrue();
    assertThat(floatScalarUnet.timestepType()).isEqualTo(ElementType.FLOAT);
    assertThat(floatScalarUnet.acceptsPerSampleTimesteps()).isFalse();
  }

  @Test
  void floatScalarTimestepVariant_givesTheSameOutputAsTheInt64Unet() {
    float[] fromInt64 = predict(int64Unet, sample, BATCH, 981, 981);
    float[] fromFloat = predict(floatScalarUnet, sample, BATCH, 981, 981);

    assertThat(fromFloat).hasSize(BATCH * LATENT).containsExactly(fromInt64, within(1e-5f));
  }

  @Test
  void float16Export_isFedAndReadInHalfPrecision() throws IOException {
    try (Unet half =
        Unet.load(
            TinyRandom.variant("fp16_io/unet"),
            "tiny-random-fp16",
            new EngineSettings(EngineName.OnnxRuntime, 1, false))) {
      float[] full = predict(int64Unet, sample, BATCH, 981, 981);
      float[] fromHalf = predict(half, sample, BATCH, 981, 981);

      // Inputs and outputs pass through float16: about three significant digits survive.
      assertThat(fromHalf).hasSize(full.length);
      for (int i = 0; i < full.length; i++) {
        assertThat(fromHalf[i]).isCloseTo(full[i], within(2e-3f + Math.abs(full[i]) * 2e-3f));
      }
    }
  }

  @Test
  void staticShapeExport_takesAnyBatchByPaddingAndSplitting() throws IOException {
    try (Unet fixed =
        Unet.load(
            TinyRandom.variant("static_batch4/unet"),
            "tiny-random-static",
            new EngineSettings(EngineName.OnnxRuntime, 1, false))) {
      // 6 samples: one call of 4 and one of 2 padded to 4.
      float[] latents = new float[6 * LATENT];
      float[] ctx = new float[6 * EMBEDDING];
      for (int i = 0; i < 3; i++) {
        System.arraycopy(sample, 0, latents, 2 * i * LATENT, 2 * LATENT);
        System.arraycopy(context, 0, ctx, 2 * i * EMBEDDING, 2 * EMBEDDING);
      }
      double[] timesteps = {981, 981, 500, 500, 21, 21};

      float[] fromFixed = predict(fixed, latents, 6, ctx, timesteps);
      float[] fromDynamic = predict(int64Unet, latents, 6, ctx, timesteps);

      assertThat(fromFixed).containsExactly(fromDynamic, within(1e-5f));
      assertThat(predict(fixed, Arrays.copyOf(sample, LATENT), 1, 981))
          .containsExactly(Arrays.copyOf(fromDynamic, LATENT), within(1e-5f));
    }
  }

  @Test
  void staticShapeExport_refusesOtherSizesNamingTheOneItTakes() throws IOException {
    try (Unet fixed =
        Unet.load(
            TinyRandom.variant("static_batch4/unet"),
            "tiny-random-static",
            new EngineSettings(EngineName.OnnxRuntime, 1, false))) {
      fixed.requireShapes(8, 8, TinyRandom.WINDOW, TinyRandom.HIDDEN);

      assertThatThrownBy(() -> fixed.requireShapes(12, 8, TinyRandom.WINDOW, TinyRandom.HIDDEN))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("latent height of exactly 8")
          .hasMessageContaining("needs 12");
      assertThatThrownBy(() -> fixed.requireShapes(8, 8, 2 * TinyRandom.WINDOW, TinyRandom.HIDDEN))
          .hasMessageContaining("text embeddings of length of exactly 77");
      int64Unet.requireShapes(12, 20, 2 * TinyRandom.WINDOW, TinyRandom.HIDDEN);
    }
  }

  /** The tiny model's UNet, splitting batches into up to {@code parallelCalls} calls. */
  private static Unet tinyUnet(int parallelCalls) throws IOException {
    return Unet.load(
        TinyRandom.dir().resolve("unet/model.onnx"),
        "tiny-random",
        new EngineSettings(EngineName.OnnxRuntime, 1, false),
        parallelCalls);
  }

  /** Five rows at three timesteps with the reference's two embeddings, alternating. */
  private static float[] splitBatchOutput(Unet unet) {
    int rows = 5;
    float[] latents = new float[rows * LATENT];
    float[] ctx = new float[rows * EMBEDDING];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(sample, (r % 2) * LATENT, latents, r * LATENT, LATENT);
      System.arraycopy(context, (r % 2) * EMBEDDING, ctx, r * EMBEDDING, EMBEDDING);
    }
    return predict(unet, latents, rows, ctx, 981, 981, 500, 21, 21);
  }

  @Test
  void batchSplitAmongParallelCalls_givesEveryRowTheOutputOfOneCall() throws IOException {
    try (Unet parallel = tinyUnet(3)) {
      float[] together = splitBatchOutput(int64Unet);

      assertThat(parallel.callsFor(2)).as("a lone guided image").isEqualTo(1);
      assertThat(parallel.callsFor(5)).isEqualTo(2);
      assertThat(parallel.callsFor(16)).isEqualTo(3);
      assertThat(int64Unet.callsFor(16)).isEqualTo(1);

      // 5 rows in 2 calls (at least 2 rows each): 2 and 3 rows, run at once; twice, so that
      // buffers are reused.
      assertThat(splitBatchOutput(parallel)).containsExactly(together);
      assertThat(splitBatchOutput(parallel)).containsExactly(together);
      float[] oneRow = Arrays.copyOf(sample, LATENT);
      assertThat(predict(parallel, oneRow, 1, 981))
          .containsExactly(predict(int64Unet, oneRow, 1, 981));
    }
  }

  @Test
  void parallelCallThatFails_failsTheWholeCall_andTheNextCallWorks() throws IOException {
    try (Unet parallel = tinyUnet(2)) {
      // Four rows, split 2 and 2; embeddings of the wrong width make every part fail in the engine.
      int rows = 2 * BATCH;
      float[] latents = new float[rows * LATENT];
      System.arraycopy(sample, 0, latents, 0, BATCH * LATENT);
      System.arraycopy(sample, 0, latents, BATCH * LATENT, BATCH * LATENT);
      float[] narrow = new float[rows * TinyRandom.WINDOW * (TinyRandom.HIDDEN / 2)];
      double[] timesteps = {981, 981, 500, 500};

      assertThatThrownBy(
              () ->
                  parallel.predict(
                      latents,
                      rows,
                      CHANNELS,
                      SIZE,
                      SIZE,
                      timesteps,
                      narrow,
                      TinyRandom.WINDOW,
                      TinyRandom.HIDDEN / 2))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("model.onnx failed");
      float[] ctx = new float[rows * EMBEDDING];
      System.arraycopy(context, 0, ctx, 0, BATCH * EMBEDDING);
      System.arraycopy(context, 0, ctx, BATCH * EMBEDDING, BATCH * EMBEDDING);
      assertThat(predict(parallel, latents, rows, ctx, timesteps))
          .containsExactly(predict(int64Unet, latents, rows, ctx, timesteps));
    }
  }

  @Test
  void parallelCallsOnAGpu_areRefusedBeforeLoading() {
    EngineSettings cuda =
        new EngineSettings(
            EngineName.OnnxRuntime,
            new OrtEngineSettings(
                ExecutionProvider.CUDA,
                0,
                false,
                OrtEngineSettings.defaultCacheDir(),
                0,
                false,
                TensorRtProfile.defaults()));

    assertThatThrownBy(
            () -> Unet.load(TinyRandom.dir().resolve("unet/model.onnx"), "tiny-random", cuda, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("parallel UNet calls apply to ONNX Runtime on the CPU")
        .hasMessageContaining("CUDA device 0");
  }

  @Test
  void output_matchesTheTorchReference() {
    assertThat(reference.get("unet_timestep").get(0).asInt()).isEqualTo(981);
    float[] expected = TinyRandom.floats(reference.get("unet_out_sample"));

    assertThat(predict(int64Unet, sample, BATCH, 981, 981))
        .containsExactly(expected, within(TORCH_TOLERANCE));
    assertThat(predict(floatScalarUnet, sample, BATCH, 981, 981))
        .containsExactly(expected, within(TORCH_TOLERANCE));
  }

  @Test
  void scalarTimestepVariant_rejectsABatchWithDifferingTimesteps() {
    Path file = TinyRandom.variant("unet_float_timestep");

    assertThatThrownBy(() -> predict(floatScalarUnet, sample, BATCH, 981, 500))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("takes one timestep per call; samples must share it");
  }

  @Test
  void perSampleTimesteps_denoiseEachSampleAtItsOwnTimestep() {
    // Both samples and both embeddings are equal, so only the timestep can tell them apart.
    float[] prompt = Arrays.copyOf(context, EMBEDDING);
    float[] promptTwice = Arrays.copyOf(prompt, 2 * EMBEDDING);
    System.arraycopy(prompt, 0, promptTwice, EMBEDDING, EMBEDDING);
    float[] one = Arrays.copyOf(sample, LATENT);

    float[] mixed = predict(int64Unet, sample, BATCH, promptTwice, 981, 500);
    float[] firstAlone = predict(int64Unet, one, 1, prompt, 981);
    float[] atOtherTimestep = predict(int64Unet, one, 1, prompt, 500);

    assertThat(Arrays.copyOfRange(mixed, 0, LATENT)).containsExactly(firstAlone, within(1e-5f));
    assertThat(Arrays.copyOfRange(mixed, LATENT, 2 * LATENT))
        .containsExactly(atOtherTimestep, within(1e-5f));
    assertThat(atOtherTimestep).isNotEqualTo(firstAlone);
  }

  @Test
  void fractionalTimestep_isRoundedForAnIntegerTimestepModel() {
    assertThat(predict(int64Unet, sample, BATCH, 980.6, 980.6))
        .containsExactly(predict(int64Unet, sample, BATCH, 981, 981));
  }

  @Test
  void timestepCountOtherThanTheBatch_isRejected() {
    assertThatThrownBy(() -> predict(int64Unet, sample, BATCH, 981))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("need one timestep per sample: 2 samples, 1 timesteps");
  }
}
