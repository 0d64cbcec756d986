package t2i.diffusion.image;

/** Turns decoder output into 8-bit pixels the way Stable Diffusion pipelines do. */
public final class ImageConversion {

  private ImageConversion() {}

  /**
   * Converts image {@code index} of a planar {@code [batch, 3, height, width]} batch in {@code [-1,
   * 1]} to interleaved RGB bytes: {@code round(clamp(x / 2 + 0.5, 0, 1) * 255)}.
   */
  public static byte[] toRgb(float[] planar, int index, int height, int width) {
    int plane = height * width;
    int base = index * 3 * plane;
    byte[] rgb = new byte[plane * 3];
    for (int p = 0; p < plane; p++) {
      for (int c = 0; c < 3; c++) {
        float v = planar[base + c * plane + p] * 0.5f + 0.5f;
        v = v < 0f ? 0f : (v > 1f ? 1f : v);
        rgb[p * 3 + c] = (byte) Math.round(v * 255f);
      }
    }
    return rgb;
  }
}
