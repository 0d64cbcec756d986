package t2i.diffusion.engine;

import ai.djl.Device;
import java.util.HashMap;
import java.util.Map;

/**
 * Which DJL engine runs the ONNX models and how.
 *
 * @param engine {@code OnnxRuntime} (CPU) or {@code TensorRT} (NVIDIA GPU)
 * @param intraOpThreads ONNX Runtime threads per call; 0 lets it use every core
 */
public record EngineSettings(String engine, int intraOpThreads) {

  public EngineSettings {
    if (!engine.equals("OnnxRuntime") && !engine.equals("TensorRT")) {
      throw new IllegalArgumentException(
          "t2i.engine.name must be OnnxRuntime or TensorRT, was '" + engine + "'");
    }
    if (intraOpThreads < 0) {
      throw new IllegalArgumentException(
          "t2i.engine.intra-op-threads must be >= 0, was " + intraOpThreads);
    }
  }

  Device device() {
    return engine.equals("TensorRT") ? Device.gpu() : Device.cpu();
  }

  Map<String, String> options() {
    Map<String, String> options = new HashMap<>();
    if (intraOpThreads > 0) {
      options.put("intraOpNumThreads", Integer.toString(intraOpThreads));
    }
    return options;
  }
}
