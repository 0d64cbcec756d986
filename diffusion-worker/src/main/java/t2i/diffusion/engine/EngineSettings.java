package t2i.diffusion.engine;

import ai.djl.Device;
import ai.onnxruntime.OrtException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import t2i.pipeline.config.EngineName;
import t2i.pipeline.engine.OrtEngineSettings;
import t2i.pipeline.engine.OrtSessions;
import t2i.pipeline.engine.TensorRtProfile;
import t2i.pipeline.model.OnnxSignature;

/**
 * Which DJL engine runs the ONNX models and how.
 *
 * @param engine the inference engine
 * @param ort how ONNX Runtime runs them (execution provider, device, threads); for the OnnxRuntime
 *     engine only
 */
public record EngineSettings(EngineName engine, OrtEngineSettings ort) {

  /** ONNX Runtime on CPU, or DJL's TensorRT engine, with these CPU threads. */
  public EngineSettings(EngineName engine, int intraOpThreads, boolean allowSpinning) {
    this(engine, OrtEngineSettings.cpu(intraOpThreads, allowSpinning));
  }

  /** ONNX Runtime on CPU with all cores and no spinning. */
  public static EngineSettings cpu() {
    return new EngineSettings(EngineName.OnnxRuntime, OrtEngineSettings.cpu());
  }

  public boolean isOnnxRuntime() {
    return engine == EngineName.OnnxRuntime;
  }

  /**
   * These settings for one of {@code calls} model calls that run at once on the CPU: unless the
   * intra-op threads are set, each call gets an equal share of the cores (at least one thread).
   */
  public EngineSettings withCoresSharedBy(int calls) {
    if (calls <= 1 || !runsOnCpu() || ort.intraOpThreads() != 0) {
      return this;
    }
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / calls);
    return new EngineSettings(engine, ort.withIntraOpThreads(threads));
  }

  /** Whether the models run on the CPU: ONNX Runtime's CPU provider. */
  public boolean runsOnCpu() {
    return isOnnxRuntime() && !ort.provider().usesGpu();
  }

  /**
   * The device DJL places the engine's arrays on. ONNX Runtime's execution provider, not DJL's
   * device, decides where its models run, so its arrays stay on the host.
   */
  Device device() {
    return isOnnxRuntime() ? Device.cpu() : Device.gpu();
  }

  /** Where the models run, as the metrics name it: {@code cpu} or {@code cuda:ID}. */
  public String deviceTag() {
    if (!isOnnxRuntime()) {
      return "cuda:0";
    }
    return ort.provider().usesGpu() ? "cuda:" + ort.deviceId() : "cpu";
  }

  /** For logs: the engine and, for ONNX Runtime, where it runs. */
  public String describe() {
    return isOnnxRuntime() ? engine + " on " + ort.describe() : engine.name();
  }

  /**
   * The file the engine loads for an ONNX model: for TensorRT, a serialized engine {@code
   * model.trt} beside {@code model.onnx} when there is one (built once for this GPU and TensorRT
   * version), else the ONNX file, which TensorRT then builds into an engine at load.
   */
  Path engineFile(Path onnx) {
    if (!isOnnxRuntime()) {
      Path built = onnx.resolveSibling("model.trt");
      if (Files.isRegularFile(built)) {
        return built;
      }
    }
    return onnx;
  }

  /**
   * The engine options for one model; for ONNX Runtime they include a {@code SessionOptions} the
   * caller must close after the model.
   *
   * @param modelName names the model's TensorRT engine cache
   * @param signature the model's inputs, for TensorRT's profile
   * @param rowsPerImage batch rows per image in the model's calls
   */
  Map<String, Object> options(String modelName, OnnxSignature signature, int rowsPerImage)
      throws OrtException, IOException {
    Map<String, Object> options = new HashMap<>();
    if (isOnnxRuntime()) {
      options.put("sessionOptions", OrtSessions.options(ort, modelName, signature, rowsPerImage));
    }
    return options;
  }

  /**
   * The shapes requests must keep to: TensorRT's profile, with ONNX Runtime's TensorRT provider.
   */
  public Optional<TensorRtProfile> profile() {
    return isOnnxRuntime() ? ort.profile() : Optional.empty();
  }
}
