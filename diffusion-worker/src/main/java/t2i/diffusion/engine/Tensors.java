package t2i.diffusion.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteOrder;
import t2i.pipeline.model.OnnxSignature.ElementType;
import t2i.pipeline.tensor.HalfFloats;

/** Moves float data in and out of engine tensors in the precision the model declares. */
public final class Tensors {

  private Tensors() {}

  /**
   * A tensor of {@code data} in the model's float type (fp32 or fp16); fp32 data goes through
   * {@code buffers} slot {@code slot}, which must not be reused before the tensor is closed.
   */
  public static NDArray floats(
      NDManager manager,
      InputBuffers buffers,
      int slot,
      float[] data,
      Shape shape,
      ElementType type,
      String name) {
    NDArray array =
        switch (type) {
          case FLOAT -> manager.create(buffers.fill(slot, data), shape, DataType.FLOAT32);
          case FLOAT16 -> manager.create(HalfFloats.toHalf(data), shape, DataType.FLOAT16);
          default ->
              throw new IllegalArgumentException(
                  "input '" + name + "' has type " + type + "; expected float32 or float16");
        };
    array.setName(name);
    return array;
  }

  /** The values of a float32 or float16 tensor as float32. */
  public static float[] toFloats(NDArray array) {
    if (array.getDataType() == DataType.FLOAT32) {
      return array.toFloatArray();
    }
    if (array.getDataType() == DataType.FLOAT16) {
      return HalfFloats.toFloats(
          array.toByteBuffer().order(ByteOrder.nativeOrder()).asShortBuffer());
    }
    throw new IllegalStateException(
        "output '" + array.getName() + "' has type " + array.getDataType() + "; expected float");
  }
}
