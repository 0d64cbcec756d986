package t2i.diffusion.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import t2i.diffusion.TinyRandom;
import t2i.pipeline.config.EngineName;
import t2i.pipeline.stage.InferenceDefaults;

/** The VAE decoder runner on the tiny random model, checked against the torch reference. */
class VaeDecoderTest {

  private static final int CHANNELS = 4;

  private static VaeDecoder decoder;

  @BeforeAll
  static void load() throws IOException {
    InferenceDefaults.apply();
    decoder =
        VaeDecoder.load(
            TinyRandom.dir().resolve("vae_decoder/model.onnx"),
            "tiny-random",
            new EngineSettings(EngineName.OnnxRuntime, 1, false));
  }

  @AfterAll
  static void close() {
    if (decoder != null) {
      decoder.close();
    }
  }

  private static float[] randomLatents(int values, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] latents = new float[values];
    for (int i = 0; i < values; i++) {
      latents[i] = (float) random.nextGaussian();
    }
    return latents;
  }

  @Test
  void decode_givesThreeChannelsOfEightTimesTheLatentSizePerImage() {
    int batch = 2;
    int height = 6;
    int width = 5;
    int latentSize = CHANNELS * height * width;
    float[] latents = randomLatents(batch * latentSize, 1);

    float[] images = decoder.decode(latents, batch, CHANNELS, height, width);
    float[] secondAlone =
        decoder.decode(
            Arrays.copyOfRange(latents, latentSize, 2 * latentSize), 1, CHANNELS, height, width);

    int imageSize = 3 * (8 * height) * (8 * width);
    assertThat(images).hasSize(batch * imageSize);
    // Batch-major layout: the second image of the batch is the second latent decoded alone.
    assertThat(Arrays.copyOfRange(images, imageSize, 2 * imageSize))
        .containsExactly(secondAlone, within(1e-5f));
  }

  @Test
  void output_matchesTheTorchReference() {
    JsonNode reference = TinyRandom.reference();
    assertThat(reference.get("vae_latent_sample_shape").toString()).isEqualTo("[1,4,8,8]");
    assertThat(reference.get("vae_sample_shape").toString()).isEqualTo("[1,3,64,64]");
    // The reference decodes the first UNet input sample.
    float[] latent = Arrays.copyOf(TinyRandom.floats(reference.get("unet_sample")), 4 * 8 * 8);

    float[] image = decoder.decode(latent, 1, CHANNELS, 8, 8);

    assertThat(image)
        .containsExactly(TinyRandom.floats(reference.get("vae_sample")), within(1e-4f));
  }

  @Test
  void float16Export_decodesLikeTheFloat32ModelWithinHalfPrecision() throws IOException {
    float[] latents = randomLatents(CHANNELS * 8 * 8, 3);
    try (VaeDecoder half =
        VaeDecoder.load(
            TinyRandom.variant("fp16_io/vae_decoder"),
            "tiny-random-fp16",
            new EngineSettings(EngineName.OnnxRuntime, 1, false))) {
      float[] full = decoder.decode(latents, 1, CHANNELS, 8, 8);
      float[] fromHalf = half.decode(latents, 1, CHANNELS, 8, 8);

      assertThat(fromHalf).hasSize(full.length);
      for (int i = 0; i < full.length; i++) {
        assertThat(fromHalf[i]).isCloseTo(full[i], within(2e-3f + Math.abs(full[i]) * 2e-3f));
      }
    }
  }

  @Test
  void staticShapeExport_decodesAnyBatchByPaddingAndSplitting() throws IOException {
    float[] latents = randomLatents(5 * CHANNELS * 8 * 8, 4);
    try (VaeDecoder fixed =
        VaeDecoder.load(
            TinyRandom.variant("static_batch4/vae_decoder"),
            "tiny-random-static",
            new EngineSettings(EngineName.OnnxRuntime, 1, false))) {
      assertThat(fixed.decode(latents, 5, CHANNELS, 8, 8))
          .containsExactly(decoder.decode(latents, 5, CHANNELS, 8, 8), within(1e-5f));
      assertThatThrownBy(() -> fixed.requireShapes(6, 8))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("latent height of exactly 8");
    }
  }
}
