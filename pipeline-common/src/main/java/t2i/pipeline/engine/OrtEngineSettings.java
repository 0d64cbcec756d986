package t2i.pipeline.engine;

import java.nio.file.Path;
import java.util.Optional;

/**
 * How a worker runs its models on ONNX Runtime.
 *
 * @param provider where the models run
 * @param deviceId which GPU, for the GPU providers
 * @param fp16 whether TensorRT may run layers in half precision (faster, within fp16's accuracy)
 * @param cacheDir where TensorRT keeps its engines and timing data; must be writable
 * @param intraOpThreads ONNX Runtime threads per CPU call; 0 lets it use every core
 * @param allowSpinning whether idle ONNX Runtime threads spin waiting for work; spinning threads
 *     compete with the worker's own threads for the cores between calls
 * @param tensorRt the shapes TensorRT builds its engines for, with the TensorRT provider
 */
public record OrtEngineSettings(
    ExecutionProvider provider,
    int deviceId,
    boolean fp16,
    Path cacheDir,
    int intraOpThreads,
    boolean allowSpinning,
    TensorRtProfile tensorRt) {

  public OrtEngineSettings {
    if (deviceId < 0) {
      throw new IllegalArgumentException("deviceId must be >= 0, was " + deviceId);
    }
    if (intraOpThreads < 0) {
      throw new IllegalArgumentException("intraOpThreads must be >= 0, was " + intraOpThreads);
    }
    if (fp16 && provider != ExecutionProvider.TensorRT) {
      throw new IllegalArgumentException(
          "fp16 applies to the TensorRT execution provider; with "
              + provider
              + " run a model exported in fp16 instead");
    }
  }

  /** ONNX Runtime on CPU with all cores and no spinning. */
  public static OrtEngineSettings cpu() {
    return cpu(0, false);
  }

  public static OrtEngineSettings cpu(int intraOpThreads, boolean allowSpinning) {
    return new OrtEngineSettings(
        ExecutionProvider.CPU,
        0,
        false,
        defaultCacheDir(),
        intraOpThreads,
        allowSpinning,
        TensorRtProfile.defaults());
  }

  /** These settings with {@code threads} ONNX Runtime threads per CPU call. */
  public OrtEngineSettings withIntraOpThreads(int threads) {
    return new OrtEngineSettings(
        provider, deviceId, fp16, cacheDir, threads, allowSpinning, tensorRt);
  }

  /**
   * The shapes a request must keep to: TensorRT's profile with the TensorRT provider, else none.
   */
  public Optional<TensorRtProfile> profile() {
    return provider == ExecutionProvider.TensorRT ? Optional.of(tensorRt) : Optional.empty();
  }

  /** Where TensorRT's engines go unless configured: {@code java.io.tmpdir/t2i-tensorrt}. */
  public static Path defaultCacheDir() {
    return Path.of(System.getProperty("java.io.tmpdir"), "t2i-tensorrt");
  }

  /** A short description for logs, e.g. {@code CUDA device 0}. */
  public String describe() {
    return switch (provider) {
      case CPU -> "CPU";
      case CUDA -> "CUDA device " + deviceId;
      case TensorRT -> "TensorRT device " + deviceId + (fp16 ? " (fp16)" : "");
    };
  }
}
