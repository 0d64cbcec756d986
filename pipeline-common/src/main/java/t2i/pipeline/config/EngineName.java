package t2i.pipeline.config;

/**
 * The inference engines a worker can run its ONNX models on ({@code t2i.engine.name}); each
 * constant is spelt as DJL names the engine.
 */
public enum EngineName {
  /** ONNX Runtime, on the CPU. */
  OnnxRuntime,
  /** DJL's TensorRT engine (TensorRT 8.4, CUDA 11), on an NVIDIA GPU. */
  TensorRT;

  /** The name DJL knows the engine by. */
  public String djlName() {
    return name();
  }
}
