package t2i.diffusion.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** PNG output checked by an independent decoder, {@link ImageIO}. */
class PngEncoderTest {

  /** Sizes (width x height) including a single pixel, single rows and columns and odd widths. */
  private static final int[][] SIZES = {
    {1, 1}, {1, 9}, {9, 1}, {2, 2}, {3, 5}, {7, 4}, {17, 13}, {64, 48}, {101, 3}
  };

  private static byte[] randomImage(Random random, int width, int height) {
    byte[] rgb = new byte[width * height * 3];
    random.nextBytes(rgb);
    return rgb;
  }

  /** Smooth gradients and flat areas, where the predicting filters beat None. */
  private static byte[] smoothImage(int width, int height, int kind) {
    byte[] rgb = new byte[width * height * 3];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int at = (y * width + x) * 3;
        for (int c = 0; c < 3; c++) {
          int v =
              switch (kind) {
                case 0 -> 3 * x + 40 * c; // changes along rows only
                case 1 -> 5 * y + 7 * c; // changes down columns only
                default -> 2 * x + 3 * y + 11 * c; // both
              };
          rgb[at + c] = (byte) v;
        }
      }
    }
    return rgb;
  }

  private static void assertDecodesTo(byte[] png, byte[] rgb, int width, int height)
      throws IOException {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
    assertThat(image).as("ImageIO decodes the PNG").isNotNull();
    assertThat(image.getWidth()).isEqualTo(width);
    assertThat(image.getHeight()).isEqualTo(height);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int at = (y * width + x) * 3;
        int expected = (rgb[at] & 0xff) << 16 | (rgb[at + 1] & 0xff) << 8 | (rgb[at + 2] & 0xff);
        int actual = image.getRGB(x, y) & 0xffffff;
        if (actual != expected) {
          throw new AssertionError(
              String.format(
                  "%dx%d image: pixel (%d, %d) is %06x, expected %06x",
                  width, height, x, y, actual, expected));
        }
      }
    }
  }

  /** The filter type byte that starts each row of the image data. */
  private static Set<Integer> rowFilters(byte[] png, int width, int height)
      throws DataFormatException {
    ByteArrayOutputStream compressed = new ByteArrayOutputStream();
    ByteBuffer chunks = ByteBuffer.wrap(png, 8, png.length - 8);
    while (chunks.hasRemaining()) {
      int length = chunks.getInt();
      byte[] type = new byte[4];
      chunks.get(type);
      byte[] data = new byte[length];
      chunks.get(data);
      chunks.getInt(); // CRC, checked by ImageIO
      if (new String(type, StandardCharsets.US_ASCII).equals("IDAT")) {
        compressed.writeBytes(data);
      }
    }
    Inflater inflater = new Inflater();
    inflater.setInput(compressed.toByteArray());
    int stride = width * 3 + 1;
    byte[] raw = new byte[height * stride];
    int n = 0;
    while (n < raw.length && !inflater.finished()) {
      n += inflater.inflate(raw, n, raw.length - n);
    }
    inflater.end();
    assertThat(n).isEqualTo(raw.length);
    Set<Integer> filters = new TreeSet<>();
    for (int y = 0; y < height; y++) {
      filters.add((int) raw[y * stride]);
    }
    return filters;
  }

  @Test
  void randomImages_decodeToExactlyTheirPixels() throws Exception {
    Random random = new Random(20240611);
    for (int[] size : SIZES) {
      for (int repeat = 0; repeat < 3; repeat++) {
        byte[] rgb = randomImage(random, size[0], size[1]);

        assertDecodesTo(PngEncoder.encodeRgb(rgb, size[0], size[1]), rgb, size[0], size[1]);
      }
    }
  }

  @Test
  void smoothImages_decodeToExactlyTheirPixels() throws Exception {
    for (int[] size : SIZES) {
      for (int kind = 0; kind < 3; kind++) {
        byte[] rgb = smoothImage(size[0], size[1], kind);

        assertDecodesTo(PngEncoder.encodeRgb(rgb, size[0], size[1]), rgb, size[0], size[1]);
      }
    }
  }

  @Test
  void testImages_exerciseEveryRowFilter() throws Exception {
    // Proves that the round-trip tests above cover None, Sub, Up, Average and Paeth.
    Random random = new Random(20240611);
    Set<Integer> used = new TreeSet<>();
    for (int[] size : SIZES) {
      for (int repeat = 0; repeat < 3; repeat++) {
        byte[] rgb = randomImage(random, size[0], size[1]);
        used.addAll(rowFilters(PngEncoder.encodeRgb(rgb, size[0], size[1]), size[0], size[1]));
      }
      for (int kind = 0; kind < 3; kind++) {
        byte[] rgb = smoothImage(size[0], size[1], kind);
        used.addAll(rowFilters(PngEncoder.encodeRgb(rgb, size[0], size[1]), size[0], size[1]));
      }
    }

    assertThat(used).containsExactly(0, 1, 2, 3, 4);
  }

  @Test
  void pixelCountOtherThanTheSize_isRejected() {
    assertThatThrownBy(() -> PngEncoder.encodeRgb(new byte[3 * 4], 2, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("need 2x3x3 bytes, got 12");
    assertThatThrownBy(() -> PngEncoder.encodeRgb(new byte[0], 0, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void encoding_isDeterministic() {
    byte[] rgb = randomImage(new Random(7), 17, 13);

    assertThat(Arrays.equals(PngEncoder.encodeRgb(rgb, 17, 13), PngEncoder.encodeRgb(rgb, 17, 13)))
        .isTrue();
  }
}
