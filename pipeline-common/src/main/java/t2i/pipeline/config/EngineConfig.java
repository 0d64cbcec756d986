package t2i.pipeline.config;

import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Min;
import java.nio.file.Path;
import java.util.Optional;
import t2i.pipeline.engine.ExecutionProvider;
import t2i.pipeline.engine.OrtEngineSettings;
import t2i.pipeline.engine.TensorRtProfile;

/**
 * Which inference engine runs a worker's ONNX models, and where. A configuration group: the workers
 * nest it under {@code t2i.engine}.
 */
public interface EngineConfig {

  /** {@code OnnxRuntime}, or DJL's {@code TensorRT} engine (TensorRT 8.4, CUDA 11). */
  @WithDefault("OnnxRuntime")
  EngineName name();

  /**
   * Where ONNX Runtime runs the models: {@code CPU}, or on an NVIDIA GPU {@code CUDA} or {@code
   * TensorRT}. The GPU providers need the GPU build of ONNX Runtime (the {@code gpu} profile or
   * image); a worker that cannot use the GPU refuses to start, never falls back to the CPU.
   */
  @WithDefault("CPU")
  ExecutionProvider executionProvider();

  /** Which GPU (as CUDA numbers the GPUs this process sees). */
  @WithDefault("0")
  @Min(0)
  int deviceId();

  /** Whether TensorRT may run layers in half precision; TensorRT provider only. */
  @WithDefault("false")
  boolean fp16();

  /**
   * Where the TensorRT provider keeps its engines and timing data, so that a restarted worker loads
   * in seconds instead of rebuilding them; a writable volume. Default: {@code
   * java.io.tmpdir/t2i-tensorrt}.
   */
  Optional<Path> cacheDir();

  /** ONNX Runtime intra-op threads per CPU call; 0 means one per available core. */
  @WithDefault("0")
  @Min(0)
  int intraOpThreads();

  /**
   * Whether idle ONNX Runtime threads spin waiting for the next call. Spinning shaves latency off
   * each call but takes the cores from the worker's own threads in between.
   */
  @WithDefault("false")
  boolean allowSpinning();

  /**
   * The shapes the TensorRT provider builds its engines for; requests outside them are refused with
   * the sizes the worker takes. See {@link TensorRtProfile}.
   */
  TensorRt tensorrt();

  /** {@code t2i.engine.tensorrt.*}: TensorRT's optimization profile. */
  interface TensorRt {
    /** Fewest images in one model call. */
    @WithDefault("1")
    @Min(1)
    int minBatch();

    /** The batch TensorRT tunes for. */
    @WithDefault("1")
    @Min(1)
    int optBatch();

    /** Most images in one call; a UNet call with guidance holds twice as many rows. */
    @WithDefault("4")
    @Min(1)
    int maxBatch();

    /** Smallest image side in pixels, a multiple of 8. */
    @WithDefault("256")
    @Min(8)
    int minSize();

    /** The image side TensorRT tunes for. */
    @WithDefault("512")
    @Min(8)
    int optSize();

    /** Largest image side in pixels, a multiple of 8. */
    @WithDefault("1024")
    @Min(8)
    int maxSize();

    /** Most 77-token windows of a prompt. */
    @WithDefault("3")
    @Min(1)
    int maxPromptWindows();
  }

  /**
   * The ONNX Runtime settings these keys describe.
   *
   * @throws IllegalArgumentException naming the key, for settings that contradict each other
   */
  static OrtEngineSettings ortSettings(EngineConfig config) {
    if (config.name() != EngineName.OnnxRuntime
        && config.executionProvider() != ExecutionProvider.CPU) {
      throw new IllegalArgumentException(
          "t2i.engine.execution-provider="
              + config.executionProvider()
              + " applies to t2i.engine.name=OnnxRuntime; DJL's "
              + config.name()
              + " engine picks its device itself. Set one of the two.");
    }
    if (config.fp16() && config.executionProvider() != ExecutionProvider.TensorRT) {
      throw new IllegalArgumentException(
          "t2i.engine.fp16=true applies to t2i.engine.execution-provider=TensorRT; with "
              + config.executionProvider()
              + " run a model exported in fp16 instead, or set t2i.engine.fp16=false.");
    }
    return new OrtEngineSettings(
        config.executionProvider(),
        config.deviceId(),
        config.fp16(),
        config.cacheDir().orElseGet(OrtEngineSettings::defaultCacheDir),
        config.intraOpThreads(),
        config.allowSpinning(),
        profile(config.tensorrt()));
  }

  private static TensorRtProfile profile(TensorRt keys) {
    return new TensorRtProfile(
        keys.minBatch(),
        keys.optBatch(),
        keys.maxBatch(),
        keys.minSize(),
        keys.optSize(),
        keys.maxSize(),
        keys.maxPromptWindows());
  }
}
