package t2i.pipeline.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;

/** Conversions between float32 values and the IEEE float16 tensors of half-precision models. */
public final class HalfFloats {

  private HalfFloats() {}

  /** A direct, native-order buffer of the values rounded to float16, ready for an engine. */
  public static ByteBuffer toHalf(float[] values) {
    ByteBuffer halves = ByteBuffer.allocateDirect(values.length * 2).order(ByteOrder.nativeOrder());
    for (float v : values) {
      halves.putShort(Float.floatToFloat16(v));
    }
    return halves.rewind();
  }

  /** The remaining float16 values of a buffer, widened to float32. */
  public static float[] toFloats(ShortBuffer halves) {
    float[] out = new float[halves.remaining()];
    int start = halves.position();
    for (int i = 0; i < out.length; i++) {
      out[i] = Float.float16ToFloat(halves.get(start + i));
    }
    return out;
  }
}
