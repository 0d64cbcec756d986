package t2i.encoder;

import t2i.pipeline.model.OnnxSignature.TensorSpec;

/** Batch sizes of static-shape exports (what a TensorRT engine built from ONNX needs). */
final class Batches {

  private Batches() {}

  /** The fixed batch size the input declares, or 0 when the batch dimension is free. */
  static int fixedSize(TensorSpec input) {
    if (input.rank() == 0 || !input.shape().getFirst().isFixed()) {
      return 0;
    }
    return (int) input.shape().getFirst().size();
  }
}
