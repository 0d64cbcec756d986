package t2i.diffusion;

import java.nio.file.Path;
import java.util.Locale;
import t2i.diffusion.engine.EngineSettings;
import t2i.pipeline.config.EngineName;
import t2i.pipeline.engine.ExecutionProvider;
import t2i.pipeline.engine.OrtEngineSettings;
import t2i.pipeline.engine.TensorRtProfile;

/**
 * Where the model tests run their models: the CPU, unless {@code
 * -Dt2i.test.execution-provider=CUDA} or {@code TensorRT} names a GPU provider ({@code
 * deploy/gpu/check.sh} runs them so, on the GPU build), with {@code t2i.test.device-id} and {@code
 * t2i.test.fp16}.
 */
final class TestEngines {

  private TestEngines() {}

  static EngineSettings fromSystemProperties() {
    ExecutionProvider provider =
        parse(System.getProperty("t2i.test.execution-provider", ExecutionProvider.CPU.name()));
    return on(provider, Integer.getInteger("t2i.test.device-id", 0));
  }

  static EngineSettings on(ExecutionProvider provider, int deviceId) {
    if (provider == ExecutionProvider.CPU) {
      return EngineSettings.cpu();
    }
    return new EngineSettings(
        EngineName.OnnxRuntime,
        new OrtEngineSettings(
            provider,
            deviceId,
            provider == ExecutionProvider.TensorRT && Boolean.getBoolean("t2i.test.fp16"),
            Path.of(System.getProperty("java.io.tmpdir"), "t2i-tensorrt-tests"),
            0,
            false,
            TensorRtProfile.defaults()));
  }

  static ExecutionProvider parse(String name) {
    for (ExecutionProvider provider : ExecutionProvider.values()) {
      if (provider.name().toLowerCase(Locale.ROOT).equals(name.strip().toLowerCase(Locale.ROOT))) {
        return provider;
      }
    }
    throw new IllegalArgumentException(
        "execution provider must be CPU, CUDA or TensorRT, was '" + name + "'");
  }
}
