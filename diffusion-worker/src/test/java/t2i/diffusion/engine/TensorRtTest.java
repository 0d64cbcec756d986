package t2i.diffusion.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.Engine;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import t2i.diffusion.TinyRandom;
import t2i.pipeline.config.EngineName;
import t2i.pipeline.stage.InferenceDefaults;

/**
 * The TensorRT engine on an NVIDIA GPU: a static-shape UNet export (what a TensorRT engine built
 * from ONNX needs) gives what ONNX Runtime gives. Runs only where the TensorRT engine can load.
 */
class TensorRtTest {

  private static Optional<String> whyUnavailable() {
    InferenceDefaults.apply();
    try {
      Engine engine = Engine.getEngine("TensorRT");
      return engine.getGpuCount() > 0
          ? Optional.empty()
          : Optional.of("the TensorRT engine sees no GPU");
    } catch (Throwable e) {
      return Optional.of(
          "the TensorRT engine cannot load here ("
              + e
              + "): it needs an NVIDIA GPU with CUDA and the TensorRT 8.4 libraries");
    }
  }

  @Test
  void staticShapeUnet_givesOnTensorRtWhatItGivesOnOnnxRuntime() throws Exception {
    Optional<String> unavailable = whyUnavailable();
    assumeTrue(unavailable.isEmpty(), () -> "skipped: " + unavailable.orElse(""));
    SplittableRandom random = new SplittableRandom(3);
    int latent = 4 * 8 * 8;
    int embedding = TinyRandom.WINDOW * TinyRandom.HIDDEN;
    float[] latents = new float[4 * latent];
    float[] context = new float[4 * embedding];
    for (int i = 0; i < latents.length; i++) {
      latents[i] = (float) random.nextGaussian();
    }
    for (int i = 0; i < context.length; i++) {
      context[i] = (float) random.nextGaussian();
    }
    double[] timesteps = {981, 500, 21, 1};

    try (Unet onGpu =
            Unet.load(
                TinyRandom.variant("static_batch4/unet"),
                "tiny-random-trt",
                new EngineSettings(EngineName.TensorRT, 0, false));
        Unet onCpu =
            Unet.load(
                TinyRandom.variant("static_batch4/unet"),
                "tiny-random-ort",
                new EngineSettings(EngineName.OnnxRuntime, 1, false))) {
      float[] gpu =
          onGpu.predict(
              latents, 4, 4, 8, 8, timesteps, context, TinyRandom.WINDOW, TinyRandom.HIDDEN);
      float[] cpu =
          onCpu.predict(
              latents, 4, 4, 8, 8, timesteps, context, TinyRandom.WINDOW, TinyRandom.HIDDEN);

      // TensorRT may pick TF32 kernels: close, not bit-identical.
      assertThat(gpu).containsExactly(cpu, within(1e-2f));
    }
  }
}
