package t2i.diffusion.image;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ImageConversionTest {

  /**
   * A planar [batch, 3, 1, pixels] batch whose channel c of pixel p in image i is value(i, c, p).
   */
  private static float[] planar(int batch, float[][][] values) {
    int pixels = values[0][0].length;
    float[] out = new float[batch * 3 * pixels];
    for (int i = 0; i < batch; i++) {
      for (int c = 0; c < 3; c++) {
        System.arraycopy(values[i][c], 0, out, (i * 3 + c) * pixels, pixels);
      }
    }
    return out;
  }

  private static int[] unsigned(byte[] bytes) {
    int[] out = new int[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      out[i] = bytes[i] & 0xff;
    }
    return out;
  }

  @Test
  void rangeEnds_mapToBlackAndWhite_andValuesOutsideAreClamped() {
    float[] values = {-1f, 1f, 0f, -3f, 5f, -1.0001f, 1.0001f};
    float[][][] image = {{values, values, values}};

    byte[] rgb = ImageConversion.toRgb(planar(1, image), 0, 1, values.length);

    int[] expected = {0, 255, 128, 0, 255, 0, 255};
    for (int p = 0; p < values.length; p++) {
      assertThat(unsigned(rgb)[p * 3]).as("pixel %d from %s", p, values[p]).isEqualTo(expected[p]);
    }
  }

  @Test
  void values_areScaledAndRoundedToTheNearestLevel() {
    // x / 2 + 0.5 scaled to 255: -0.5 -> 63.75, 0.5 -> 191.25, 2/255 - 1 -> 1.
    float[] values = {-0.5f, 0.5f, 2f / 255f - 1f};
    float[][][] image = {{values, values, values}};

    int[] rgb = unsigned(ImageConversion.toRgb(planar(1, image), 0, 1, values.length));

    assertThat(new int[] {rgb[0], rgb[3], rgb[6]}).containsExactly(64, 191, 1);
  }

  @Test
  void planarChannels_becomeInterleavedRgbOfTheChosenImage() {
    float[][][] batch = {
      {{-1f, -1f}, {-1f, -1f}, {-1f, -1f}},
      {{1f, -1f}, {-1f, 1f}, {0f, 1f}},
    };

    int[] rgb = unsigned(ImageConversion.toRgb(planar(2, batch), 1, 1, 2));

    assertThat(rgb).containsExactly(255, 0, 128, 0, 255, 255);
  }
}
