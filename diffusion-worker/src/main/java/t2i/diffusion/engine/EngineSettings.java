package t2i.diffusion.engine;

import ai.djl.Device;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession.SessionOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import t2i.pipeline.config.EngineName;

/**
 * Which DJL engine runs the ONNX models and how.
 *
 * @param engine the inference engine
 * @param intraOpThreads ONNX Runtime threads per call; 0 lets it use every core
 * @param allowSpinning whether idle ONNX Runtime threads spin waiting for work; spinning threads
 *     compete with the worker's own threads for the cores between calls
 */
public record EngineSettings(EngineName engine, int intraOpThreads, boolean allowSpinning) {

  public EngineSettings {
    if (intraOpThreads < 0) {
      throw new IllegalArgumentException("intraOpThreads must be >= 0, was " + intraOpThreads);
    }
  }

  /** ONNX Runtime on CPU with all cores and no spinning. */
  public static EngineSettings cpu() {
    return new EngineSettings(EngineName.OnnxRuntime, 0, false);
  }

  boolean isOnnxRuntime() {
    return engine == EngineName.OnnxRuntime;
  }

  Device device() {
    return isOnnxRuntime() ? Device.cpu() : Device.gpu();
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
   */
  Map<String, Object> options() throws OrtException {
    Map<String, Object> options = new HashMap<>();
    if (isOnnxRuntime()) {
      SessionOptions session = new SessionOptions();
      if (intraOpThreads > 0) {
        session.setIntraOpNumThreads(intraOpThreads);
      }
      session.addConfigEntry("session.intra_op.allow_spinning", allowSpinning ? "1" : "0");
      options.put("sessionOptions", session);
    }
    return options;
  }
}
