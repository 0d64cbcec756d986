package t2i.pipeline.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A dense float32 tensor in row-major order; its wire form (Redis) is the raw little-endian floats.
 * The arrays are owned by the tensor: callers must not modify them after construction.
 */
// equals, hashCode and toString below use the arrays' contents; primitive arrays keep large
// tensors compact.
@SuppressWarnings("ArrayRecordComponent")
public record FloatTensor(int[] shape, float[] data) {

  public FloatTensor {
    long size = 1;
    for (int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      size *= d;
    }
    if (size != data.length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " needs " + size + " values, got " + data.length);
    }
  }

  public byte[] toBytes() {
    ByteBuffer buffer =
        ByteBuffer.allocate(data.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    buffer.asFloatBuffer().put(data);
    return buffer.array();
  }

  public static FloatTensor fromBytes(int[] shape, byte[] bytes) {
    if (bytes.length % Float.BYTES != 0) {
      throw new IllegalArgumentException(
          "float32 data must be a multiple of 4 bytes, was " + bytes.length);
    }
    float[] data = new float[bytes.length / Float.BYTES];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
    return new FloatTensor(shape.clone(), data);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FloatTensor t
        && Arrays.equals(shape, t.shape)
        && Arrays.equals(data, t.data);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "FloatTensor" + Arrays.toString(shape);
  }
}
