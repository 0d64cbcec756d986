package t2i.pipeline.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import t2i.pipeline.engine.ExecutionProvider;
import t2i.pipeline.engine.OrtEngineSettings;
import t2i.pipeline.engine.TensorRtProfile;

class EngineConfigTest {

  private record Keys(
      EngineName name,
      ExecutionProvider executionProvider,
      int deviceId,
      boolean fp16,
      Optional<Path> cacheDir,
      int intraOpThreads,
      boolean allowSpinning)
      implements EngineConfig {

    @Override
    public TensorRt tensorrt() {
      return new TensorRt() {
        @Override
        public int minBatch() {
          return 1;
        }

        @Override
        public int optBatch() {
          return 2;
        }

        @Override
        public int maxBatch() {
          return 4;
        }

        @Override
        public int minSize() {
          return 512;
        }

        @Override
        public int optSize() {
          return 512;
        }

        @Override
        public int maxSize() {
          return 768;
        }

        @Override
        public int maxPromptWindows() {
          return 2;
        }
      };
    }
  }

  @Test
  void theDefaults_runOnnxRuntimeOnTheCpu() {
    OrtEngineSettings ort =
        EngineConfig.ortSettings(
            new Keys(
                EngineName.OnnxRuntime,
                ExecutionProvider.CPU,
                0,
                false,
                Optional.empty(),
                0,
                false));
    assertThat(ort.provider()).isEqualTo(ExecutionProvider.CPU);
    assertThat(ort.describe()).isEqualTo("CPU");
    assertThat(ort.cacheDir().getFileName()).hasToString("t2i-tensorrt");
  }

  @Test
  void tensorRt_withFp16AndACacheDirectory_describesItself() {
    OrtEngineSettings ort =
        EngineConfig.ortSettings(
            new Keys(
                EngineName.OnnxRuntime,
                ExecutionProvider.TensorRT,
                1,
                true,
                Optional.of(Path.of("/var/cache/t2i")),
                0,
                false));
    assertThat(ort.describe()).isEqualTo("TensorRT device 1 (fp16)");
    assertThat(ort.profile()).contains(new TensorRtProfile(1, 2, 4, 512, 512, 768, 2));
    assertThat(ort.cacheDir()).isEqualTo(Path.of("/var/cache/t2i"));
  }

  @Test
  void fp16_withoutTensorRt_isRefusedNamingBothKeys() {
    assertThatThrownBy(
            () ->
                EngineConfig.ortSettings(
                    new Keys(
                        EngineName.OnnxRuntime,
                        ExecutionProvider.CUDA,
                        0,
                        true,
                        Optional.empty(),
                        0,
                        false)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("t2i.engine.fp16=true")
        .hasMessageContaining("t2i.engine.execution-provider=TensorRT");
  }

  @Test
  void anExecutionProvider_withDjlsTensorRtEngine_isRefused() {
    assertThatThrownBy(
            () ->
                EngineConfig.ortSettings(
                    new Keys(
                        EngineName.TensorRT,
                        ExecutionProvider.CUDA,
                        0,
                        false,
                        Optional.empty(),
                        0,
                        false)))
        .hasMessageContaining(
            "t2i.engine.execution-provider=CUDA applies to t2i.engine.name=OnnxRuntime");
  }
}
