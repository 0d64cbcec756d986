package t2i.pipeline.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class FloatTensorTest {

  @Test
  void bytes_roundTripExactly() {
    FloatTensor tensor =
        new FloatTensor(
            new int[] {2, 3}, new float[] {0f, -1.5f, 3.25e-8f, Float.MAX_VALUE, 7f, 1f});

    FloatTensor back = FloatTensor.fromBytes(new int[] {2, 3}, tensor.toBytes());

    assertThat(back).isEqualTo(tensor);
    assertThat(tensor.toBytes()).hasSize(24);
  }

  @Test
  void bytes_areLittleEndianFloat32() {
    byte[] bytes = new FloatTensor(new int[] {1}, new float[] {1f}).toBytes();

    assertThat(bytes).containsExactly(0x00, 0x00, 0x80, 0x3f);
  }

  @Test
  void construction_shapeAndDataDisagree_fails() {
    assertThatThrownBy(() -> new FloatTensor(new int[] {2, 2}, new float[3]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs 4 values, got 3");
  }
}
