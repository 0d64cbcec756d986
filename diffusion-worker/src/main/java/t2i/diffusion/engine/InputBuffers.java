package t2i.diffusion.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Direct buffers for a model's float inputs, kept between calls. The engine reads direct buffers in
 * place, so filling one of these costs a copy and nothing more, where a fresh buffer per call would
 * mean native allocations (and, under load, the JVM waiting for direct memory to be freed). Not
 * thread-safe: one per model component, used by the thread that drives it.
 */
final class InputBuffers {

  private final FloatBuffer[] slots;

  InputBuffers(int inputs) {
    this.slots = new FloatBuffer[inputs];
  }

  /** Slot {@code index} holding a copy of {@code data}, ready to read. */
  FloatBuffer fill(int index, float[] data) {
    FloatBuffer buffer = slots[index];
    if (buffer == null || buffer.capacity() < data.length) {
      buffer =
          ByteBuffer.allocateDirect(data.length * Float.BYTES)
              .order(ByteOrder.nativeOrder())
              .asFloatBuffer();
      slots[index] = buffer;
    }
    buffer.clear();
    buffer.put(data);
    buffer.flip();
    return buffer;
  }
}
