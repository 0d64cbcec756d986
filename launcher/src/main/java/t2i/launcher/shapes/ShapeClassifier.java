package t2i.launcher.shapes;

import java.awt.image.BufferedImage;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Reads back what a shapes image shows, with the rules of the domain: the background is the palette
 * background nearest to the median of the image border; the shape is the largest 4-connected region
 * far enough from it; its colour is the palette colour nearest to its median, its position the
 * ninth holding its centroid, its kind decided by how much of its bounding box it fills (square
 * about 1, circle about pi/4, triangle about 1/2). Stateless and thread-safe.
 */
public final class ShapeClassifier {

  /**
   * What the classifier saw; the shape attributes are null when no shape was found, and an
   * attribute is also null when the domain gives it no values to choose from.
   */
  public record Reading(
      @Nullable String color,
      @Nullable String shape,
      @Nullable String where,
      @Nullable String background,
      double fill) {}

  private final ShapesDomain domain;

  public ShapeClassifier(ShapesDomain domain) {
    this.domain = domain;
  }

  public Reading read(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    int[][] rgb = new int[w * h][];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int p = image.getRGB(x, y);
        rgb[y * w + x] = new int[] {(p >> 16) & 0xff, (p >> 8) & 0xff, p & 0xff};
      }
    }
    // The top and bottom rows, then the left and right columns: corners count twice, as the
    // domain's reference classifier counts them.
    int border = domain.border();
    int borderCount = 0;
    int[][] borderPixels = new int[2 * border * (w + h)][];
    for (int y = 0; y < border; y++) {
      for (int x = 0; x < w; x++) {
        borderPixels[borderCount++] = rgb[y * w + x];
        borderPixels[borderCount++] = rgb[(h - 1 - y) * w + x];
      }
    }
    for (int x = 0; x < border; x++) {
      for (int y = 0; y < h; y++) {
        borderPixels[borderCount++] = rgb[y * w + x];
        borderPixels[borderCount++] = rgb[y * w + (w - 1 - x)];
      }
    }
    double[] background = median(borderPixels, borderCount);
    String backgroundName = nearest(background, domain.backgrounds());

    boolean[] foreground = new boolean[w * h];
    for (int i = 0; i < foreground.length; i++) {
      foreground[i] = distance(rgb[i], background) > domain.segmentDistance();
    }
    int[] component = largestComponent(foreground, w, h);
    if (component.length == 0) {
      return new Reading(null, null, null, backgroundName, 0);
    }
    int[][] pixels = new int[component.length][];
    double sumX = 0;
    double sumY = 0;
    int minX = w;
    int maxX = -1;
    int minY = h;
    int maxY = -1;
    for (int i = 0; i < component.length; i++) {
      int index = component[i];
      int x = index % w;
      int y = index / w;
      pixels[i] = rgb[index];
      sumX += x + 0.5;
      sumY += y + 0.5;
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    }
    String color = nearest(median(pixels, pixels.length), domain.colors());
    double cx = sumX / component.length;
    double cy = sumY / component.length;
    int row = Math.min(2, Math.max(0, (int) Math.floor(cy / (h / 3.0))));
    int col = Math.min(2, Math.max(0, (int) Math.floor(cx / (w / 3.0))));
    String where = null;
    for (Map.Entry<String, int[]> ninth : domain.ninths().entrySet()) {
      if (ninth.getValue()[0] == row && ninth.getValue()[1] == col) {
        where = ninth.getKey();
      }
    }
    double fill = component.length / (double) ((maxX - minX + 1) * (maxY - minY + 1));
    String shape =
        fill >= domain.fillSquareMin()
            ? "square"
            : fill >= domain.fillCircleMin() ? "circle" : "triangle";
    return new Reading(color, shape, where, backgroundName, fill);
  }

  private static double[] median(int[][] pixels, int count) {
    double[] median = new double[3];
    int[] channel = new int[count];
    for (int c = 0; c < 3; c++) {
      for (int i = 0; i < count; i++) {
        channel[i] = pixels[i][c];
      }
      Arrays.sort(channel, 0, count);
      median[c] =
          count % 2 == 1 ? channel[count / 2] : (channel[count / 2 - 1] + channel[count / 2]) / 2.0;
    }
    return median;
  }

  private static double distance(int[] pixel, double[] reference) {
    double sum = 0;
    for (int c = 0; c < 3; c++) {
      double d = pixel[c] - reference[c];
      sum += d * d;
    }
    return Math.sqrt(sum);
  }

  /** The palette entry nearest to the colour; null for an empty palette. */
  private static @Nullable String nearest(double[] rgb, Map<String, int[]> palette) {
    String best = null;
    double bestDistance = Double.MAX_VALUE;
    for (Map.Entry<String, int[]> entry : palette.entrySet()) {
      double d = 0;
      for (int c = 0; c < 3; c++) {
        double diff = entry.getValue()[c] - rgb[c];
        d += diff * diff;
      }
      if (d < bestDistance) {
        bestDistance = d;
        best = entry.getKey();
      }
    }
    return best;
  }

  /** Indices of the largest 4-connected true region (the first found wins ties). */
  private static int[] largestComponent(boolean[] mask, int w, int h) {
    int[] label = new int[mask.length];
    int[] best = new int[0];
    int current = 0;
    ArrayDeque<Integer> stack = new ArrayDeque<>();
    int[] members = new int[mask.length];
    for (int start = 0; start < mask.length; start++) {
      if (!mask[start] || label[start] != 0) {
        continue;
      }
      current++;
      label[start] = current;
      stack.push(start);
      int size = 0;
      while (!stack.isEmpty()) {
        int p = stack.pop();
        members[size++] = p;
        int x = p % w;
        int y = p / w;
        int[] neighbours = {
          y > 0 ? p - w : -1, y < h - 1 ? p + w : -1, x > 0 ? p - 1 : -1, x < w - 1 ? p + 1 : -1
        };
        for (int n : neighbours) {
          if (n >= 0 && mask[n] && label[n] == 0) {
            label[n] = current;
            stack.push(n);
          }
        }
      }
      if (size > best.length) {
        best = Arrays.copyOf(members, size);
      }
    }
    return best;
  }
}
