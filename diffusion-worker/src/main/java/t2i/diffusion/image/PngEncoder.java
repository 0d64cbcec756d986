package t2i.diffusion.image;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Encodes 8-bit RGB images as PNG without AWT: the worker runs headless and this is faster than
 * ImageIO. Each row uses the filter with the smallest sum of absolute differences, the usual
 * heuristic for photographic content. Stateless and thread-safe.
 */
public final class PngEncoder {

  private static final byte[] SIGNATURE = {(byte) 137, 80, 78, 71, 13, 10, 26, 10};
  private static final int BYTES_PER_PIXEL = 3;

  private PngEncoder() {}

  /**
   * The PNG file of an 8-bit RGB image.
   *
   * @param rgb {@code height * width * 3} bytes, row-major, channels interleaved
   */
  public static byte[] encodeRgb(byte[] rgb, int width, int height) {
    if (width <= 0 || height <= 0 || rgb.length != width * height * BYTES_PER_PIXEL) {
      throw new IllegalArgumentException(
          "need " + width + "x" + height + "x3 bytes, got " + rgb.length);
    }
    int stride = width * BYTES_PER_PIXEL;
    byte[] filtered = new byte[height * (stride + 1)];
    byte[] candidate = new byte[stride];
    byte[] best = new byte[stride];
    for (int y = 0; y < height; y++) {
      int row = y * stride;
      int prev = row - stride;
      long bestScore = Long.MAX_VALUE;
      int bestFilter = 0;
      for (int filter = 0; filter <= 4; filter++) {
        long score = 0;
        for (int x = 0; x < stride; x++) {
          int cur = rgb[row + x] & 0xff;
          int a = x >= BYTES_PER_PIXEL ? rgb[row + x - BYTES_PER_PIXEL] & 0xff : 0;
          int b = y > 0 ? rgb[prev + x] & 0xff : 0;
          int c = (x >= BYTES_PER_PIXEL && y > 0) ? rgb[prev + x - BYTES_PER_PIXEL] & 0xff : 0;
          int predicted =
              switch (filter) {
                case 0 -> 0;
                case 1 -> a;
                case 2 -> b;
                case 3 -> (a + b) >>> 1;
                default -> paeth(a, b, c);
              };
          byte out = (byte) (cur - predicted);
          candidate[x] = out;
          score += Math.abs(out);
        }
        if (score < bestScore) {
          bestScore = score;
          bestFilter = filter;
          System.arraycopy(candidate, 0, best, 0, stride);
        }
      }
      int at = y * (stride + 1);
      filtered[at] = (byte) bestFilter;
      System.arraycopy(best, 0, filtered, at + 1, stride);
    }

    ByteArrayOutputStream png = new ByteArrayOutputStream(filtered.length / 2 + 64);
    png.writeBytes(SIGNATURE);
    ByteBuffer header = ByteBuffer.allocate(13);
    header.putInt(width).putInt(height);
    header.put((byte) 8); // bit depth
    header.put((byte) 2); // colour type: truecolour
    header.put((byte) 0).put((byte) 0).put((byte) 0); // compression, filter, interlace
    chunk(png, "IHDR", header.array());
    chunk(png, "IDAT", deflate(filtered));
    chunk(png, "IEND", new byte[0]);
    return png.toByteArray();
  }

  private static int paeth(int a, int b, int c) {
    int p = a + b - c;
    int pa = Math.abs(p - a);
    int pb = Math.abs(p - b);
    int pc = Math.abs(p - c);
    if (pa <= pb && pa <= pc) {
      return a;
    }
    return pb <= pc ? b : c;
  }

  private static byte[] deflate(byte[] data) {
    Deflater deflater = new Deflater(6);
    try {
      deflater.setInput(data);
      deflater.finish();
      ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 2 + 64);
      byte[] buffer = new byte[16 * 1024];
      while (!deflater.finished()) {
        int n = deflater.deflate(buffer);
        out.write(buffer, 0, n);
      }
      return out.toByteArray();
    } finally {
      deflater.end();
    }
  }

  private static void chunk(ByteArrayOutputStream png, String type, byte[] data) {
    byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
    CRC32 crc = new CRC32();
    crc.update(typeBytes);
    crc.update(data);
    png.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
    png.writeBytes(typeBytes);
    png.writeBytes(data);
    png.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }
}
