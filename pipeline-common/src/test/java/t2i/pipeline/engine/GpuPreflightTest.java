package t2i.pipeline.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GpuPreflightTest {

  private static final Set<String> CUDA_STACK =
      Set.of(
          "libcuda.so.1",
          "libcudart.so.12",
          "libcublas.so.12",
          "libcublasLt.so.12",
          "libcurand.so.10",
          "libcufft.so.11",
          "libcudnn.so.9");
  private static final Set<String> TENSORRT =
      Set.of("libnvinfer.so.10", "libnvinfer_plugin.so.10", "libnvonnxparser.so.10");
  private static final Set<OrtProvider> GPU_BUILD =
      EnumSet.of(OrtProvider.CPU, OrtProvider.CUDA, OrtProvider.TENSOR_RT);

  @TempDir Path dir;

  private static OrtEngineSettings on(ExecutionProvider provider, int deviceId) {
    return new OrtEngineSettings(
        provider, deviceId, false, Path.of("/tmp/trt"), 0, false, TensorRtProfile.defaults());
  }

  /** A driver directory as the NVIDIA driver makes it, with this many GPUs. */
  private Path driverWith(int gpus) throws IOException {
    Path proc = dir.resolve("nvidia");
    for (int i = 0; i < gpus; i++) {
      Files.createDirectories(proc.resolve("gpus").resolve("0000:0" + i + ":00.0"));
    }
    Files.createDirectories(proc);
    Files.writeString(proc.resolve("version"), "NVRM version: 550.54.15");
    return proc;
  }

  private static GpuPreflight.Machine machine(
      Path proc, Optional<String> visible, Set<String> libraries, Set<OrtProvider> providers) {
    return new GpuPreflight.Machine(proc, visible, libraries, "the test's list", providers);
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> all = new HashSet<>(a);
    all.addAll(b);
    return all;
  }

  @Test
  void theCpuProvider_needsNothing() {
    GpuPreflight.Machine bare =
        machine(dir.resolve("absent"), Optional.empty(), Set.of(), EnumSet.of(OrtProvider.CPU));
    assertThatCode(() -> GpuPreflight.check(OrtEngineSettings.cpu(), bare))
        .doesNotThrowAnyException();
  }

  @Test
  void aGpuProvider_withTheCpuBuildOfOnnxRuntime_namesTheGpuBuildAndHowToPackageIt()
      throws IOException {
    GpuPreflight.Machine machine =
        machine(driverWith(1), Optional.empty(), CUDA_STACK, EnumSet.of(OrtProvider.CPU));
    assertThatThrownBy(() -> GpuPreflight.check(on(ExecutionProvider.CUDA, 0), machine))
        .isInstanceOf(GpuPreflight.GpuUnavailable.class)
        .hasMessageContaining("t2i.engine.execution-provider=CUDA")
        .hasMessageContaining("onnxruntime_gpu")
        .hasMessageContaining("-Pgpu");
  }

  @Test
  void aGpuProvider_withoutADriver_saysToInstallIt() {
    GpuPreflight.Machine machine =
        machine(dir.resolve("no-driver"), Optional.empty(), CUDA_STACK, GPU_BUILD);
    assertThatThrownBy(() -> GpuPreflight.check(on(ExecutionProvider.CUDA, 0), machine))
        .hasMessageContaining("no NVIDIA driver is loaded")
        .hasMessageContaining("no-driver")
        .hasMessageContaining("Install the NVIDIA driver");
  }

  @Test
  void aDeviceIdBeyondTheGpus_namesTheKeyAndTheIdsThereAre() throws IOException {
    GpuPreflight.Machine machine = machine(driverWith(2), Optional.empty(), CUDA_STACK, GPU_BUILD);
    assertThatThrownBy(() -> GpuPreflight.check(on(ExecutionProvider.CUDA, 2), machine))
        .hasMessageContaining("t2i.engine.device-id=2")
        .hasMessageContaining("sees 2 NVIDIA GPU(s), ids 0 to 1");
    assertThatCode(() -> GpuPreflight.check(on(ExecutionProvider.CUDA, 1), machine))
        .doesNotThrowAnyException();
  }

  @Test
  void cudaVisibleDevices_narrowsTheGpusThisProcessSees() throws IOException {
    Path proc = driverWith(4);
    GpuPreflight.Machine one = machine(proc, Optional.of("3"), CUDA_STACK, GPU_BUILD);
    assertThatThrownBy(() -> GpuPreflight.check(on(ExecutionProvider.CUDA, 1), one))
        .hasMessageContaining("ids 0 to 0")
        .hasMessageContaining("CUDA_VISIBLE_DEVICES=3");
    GpuPreflight.Machine none = machine(proc, Optional.of(""), CUDA_STACK, GPU_BUILD);
    assertThatThrownBy(() -> GpuPreflight.check(on(ExecutionProvider.CUDA, 0), none))
        .hasMessageContaining("no NVIDIA GPU is visible to this process");
  }

  @Test
  void missingCudnn_isNamedWithWhatToInstall() throws IOException {
    Set<String> withoutCudnn = new HashSet<>(CUDA_STACK);
    withoutCudnn.remove("libcudnn.so.9");
    GpuPreflight.Machine machine =
        machine(driverWith(1), Optional.empty(), withoutCudnn, GPU_BUILD);
    assertThatThrownBy(() -> GpuPreflight.check(on(ExecutionProvider.CUDA, 0), machine))
        .hasMessageContaining("libcudnn.so.9: install cuDNN 9 for CUDA 12")
        .hasMessageContaining("the test's list")
        .hasMessageNotContaining("libcudart");
  }

  @Test
  void tensorRt_needsTensorRt10OnTopOfCuda() throws IOException {
    Path proc = driverWith(1);
    GpuPreflight.Machine cudaOnly = machine(proc, Optional.empty(), CUDA_STACK, GPU_BUILD);
    assertThatThrownBy(() -> GpuPreflight.check(on(ExecutionProvider.TensorRT, 0), cudaOnly))
        .hasMessageContaining("t2i.engine.execution-provider=TensorRT")
        .hasMessageContaining("libnvinfer.so.10, libnvinfer_plugin.so.10, libnvonnxparser.so.10")
        .hasMessageContaining("install TensorRT 10");
    assertThatCode(() -> GpuPreflight.check(on(ExecutionProvider.CUDA, 0), cudaOnly))
        .as("CUDA alone does not need TensorRT")
        .doesNotThrowAnyException();
    GpuPreflight.Machine full =
        machine(proc, Optional.empty(), union(CUDA_STACK, TENSORRT), GPU_BUILD);
    assertThatCode(() -> GpuPreflight.check(on(ExecutionProvider.TensorRT, 0), full))
        .doesNotThrowAnyException();
  }

  @Test
  void thisMachine_asTheWorkerSeesIt_refusesCudaWithTheCpuBuild() {
    // The build under test carries the CPU build of ONNX Runtime; whatever GPU the machine has,
    // the first check refuses.
    GpuPreflight.Machine here = GpuPreflight.Machine.thisOne();
    assertThat(here.ortProviders()).contains(OrtProvider.CPU).doesNotContain(OrtProvider.CUDA);
    assertThatThrownBy(() -> GpuPreflight.check(on(ExecutionProvider.CUDA, 0), here))
        .hasMessageContaining("onnxruntime_gpu");
  }
}
