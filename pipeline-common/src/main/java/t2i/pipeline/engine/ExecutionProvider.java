package t2i.pipeline.engine;

/**
 * Where ONNX Runtime runs a worker's models ({@code t2i.engine.execution-provider}). The GPU
 * providers need the GPU build of ONNX Runtime (the {@code gpu} Maven profile, or the GPU image).
 */
public enum ExecutionProvider {
  /** The CPU, with every core unless told otherwise. */
  CPU,
  /** NVIDIA GPUs through CUDA 12 and cuDNN 9. */
  CUDA,
  /**
   * NVIDIA GPUs through TensorRT 10, which builds an engine per model and input shape; engines and
   * timing data are cached on disk, so a restarted worker loads in seconds. Layers TensorRT cannot
   * run fall back to CUDA.
   */
  TensorRT;

  public boolean usesGpu() {
    return this != CPU;
  }
}
