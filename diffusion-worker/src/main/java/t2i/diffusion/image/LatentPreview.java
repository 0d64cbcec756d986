package t2i.diffusion.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * An approximate picture of a latent, for previews while a job denoises: each latent pixel's
 * channels mapped to RGB by one linear projection ({@code rgb = latent * weights + bias}, in the
 * decoder's {@code [-1, 1]} range), fitted per model to its VAE decoder. A few multiplications per
 * pixel instead of a decoder run, which is what makes a preview per step affordable.
 *
 * <p>Stored with the model as {@value #FILE}: {@code {"weights": [[r, g, b] per latent channel],
 * "bias": [r, g, b]}}. Immutable and thread-safe.
 */
public final class LatentPreview {

  /** The file in a model directory that holds the projection. */
  public static final String FILE = "latent_preview.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final float[][] weights;
  private final float[] bias;

  /**
   * @param weights one {@code [r, g, b]} row per latent channel
   * @param bias the RGB value of an all-zero latent
   */
  public LatentPreview(float[][] weights, float[] bias) {
    if (weights.length == 0 || bias.length != 3) {
      throw new IllegalArgumentException(
          "a latent preview needs a weight row per latent channel and 3 bias values");
    }
    this.weights = new float[weights.length][];
    for (int c = 0; c < weights.length; c++) {
      if (weights[c].length != 3) {
        throw new IllegalArgumentException(
            "weight row " + c + " has " + weights[c].length + " values; it needs 3 (r, g, b)");
      }
      this.weights[c] = requireFinite(weights[c].clone());
    }
    this.bias = requireFinite(bias.clone());
  }

  private static float[] requireFinite(float[] values) {
    for (float v : values) {
      if (!Float.isFinite(v)) {
        throw new IllegalArgumentException(
            "latent preview values must be finite, was " + Arrays.toString(values));
      }
    }
    return values;
  }

  /** Latent channels the projection expects. */
  public int channels() {
    return weights.length;
  }

  /** The weight of latent channel {@code channel} in colour {@code colour} (0 r, 1 g, 2 b). */
  public float weight(int channel, int colour) {
    return weights[channel][colour];
  }

  /** The colour of an all-zero latent, {@code colour} 0 r, 1 g, 2 b. */
  public float bias(int colour) {
    return bias[colour];
  }

  /**
   * Projects a planar {@code [channels, height, width]} latent to interleaved 8-bit RGB, one pixel
   * per latent pixel, clamped the way decoded images are.
   */
  public byte[] rgb(float[] latent, int height, int width) {
    int plane = height * width;
    if (latent.length != weights.length * plane) {
      throw new IllegalArgumentException(
          "latent has "
              + latent.length
              + " values; a "
              + width
              + "x"
              + height
              + " latent of "
              + weights.length
              + " channels has "
              + weights.length * plane);
    }
    byte[] rgb = new byte[plane * 3];
    for (int p = 0; p < plane; p++) {
      for (int colour = 0; colour < 3; colour++) {
        float v = bias[colour];
        for (int c = 0; c < weights.length; c++) {
          v += latent[c * plane + p] * weights[c][colour];
        }
        v = v * 0.5f + 0.5f;
        v = v < 0f ? 0f : (v > 1f ? 1f : v);
        rgb[p * 3 + colour] = (byte) Math.round(v * 255f);
      }
    }
    return rgb;
  }

  /** The projection stored in a model directory, if it has one. */
  public static Optional<LatentPreview> read(Path modelRoot) throws IOException {
    Path file = modelRoot.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    JsonNode root = JSON.readTree(file.toFile());
    JsonNode rows = root.path("weights");
    JsonNode bias = root.path("bias");
    if (!rows.isArray() || !bias.isArray()) {
      throw new IOException(file + " needs \"weights\" (one [r, g, b] per channel) and \"bias\"");
    }
    float[][] weights = new float[rows.size()][];
    for (int c = 0; c < rows.size(); c++) {
      weights[c] = floats(rows.get(c), file);
    }
    try {
      return Optional.of(new LatentPreview(weights, floats(bias, file)));
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  private static float[] floats(JsonNode array, Path file) throws IOException {
    float[] values = new float[array.size()];
    for (int i = 0; i < values.length; i++) {
      if (!array.get(i).isNumber()) {
        throw new IOException(file + ": " + array + " must hold numbers only");
      }
      values[i] = array.get(i).floatValue();
    }
    return values;
  }

  /** The projection as the JSON stored in {@value #FILE}. */
  public String toJson() {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode rows = root.putArray("weights");
    for (float[] row : weights) {
      ArrayNode values = rows.addArray();
      for (float v : row) {
        values.add(v);
      }
    }
    ArrayNode values = root.putArray("bias");
    for (float v : bias) {
      values.add(v);
    }
    return root.toString();
  }

  /**
   * The least-squares projection from latent pixels to the colours they decode to.
   *
   * @param latents {@code samples} planar latents of {@code channels} planes of {@code plane}
   *     pixels each
   * @param colours the decoded images averaged down to the latent's resolution: {@code samples}
   *     planar {@code [3, plane]} blocks
   */
  public static LatentPreview fit(
      float[] latents, float[] colours, int samples, int channels, int plane) {
    Fit fit = new Fit(channels);
    fit.add(latents, colours, samples, plane);
    return fit.solve();
  }

  /**
   * A least-squares fit being gathered: pairs of latents and the colours they decode to come in, a
   * projection comes out. Not thread-safe.
   */
  public static final class Fit {
    private final int channels;
    private final double[][] normal;
    private final double[][] right;
    private long pixels;

    public Fit(int channels) {
      this.channels = channels;
      this.normal = new double[channels + 1][channels + 1];
      this.right = new double[channels + 1][3];
    }

    /** Adds {@code samples} latents and their colours, shaped as for {@link LatentPreview#fit}. */
    public void add(float[] latents, float[] colours, int samples, int plane) {
      if (latents.length != samples * channels * plane || colours.length != samples * 3 * plane) {
        throw new IllegalArgumentException("latents and colours do not match the given shapes");
      }
      int unknowns = channels + 1;
      double[] x = new double[unknowns];
      for (int s = 0; s < samples; s++) {
        for (int p = 0; p < plane; p++) {
          for (int c = 0; c < channels; c++) {
            x[c] = latents[(s * channels + c) * plane + p];
          }
          x[channels] = 1;
          for (int i = 0; i < unknowns; i++) {
            for (int j = 0; j < unknowns; j++) {
              normal[i][j] += x[i] * x[j];
            }
            for (int colour = 0; colour < 3; colour++) {
              right[i][colour] += x[i] * colours[(s * 3 + colour) * plane + p];
            }
          }
        }
      }
      pixels += (long) samples * plane;
    }

    /** Latent pixels gathered so far. */
    public long pixels() {
      return pixels;
    }

    public LatentPreview solve() {
      double[][] a = new double[normal.length][];
      double[][] b = new double[right.length][];
      for (int i = 0; i < normal.length; i++) {
        a[i] = normal[i].clone();
        b[i] = right[i].clone();
      }
      double[][] solution = LatentPreview.solve(a, b);
      float[][] weights = new float[channels][3];
      float[] bias = new float[3];
      for (int colour = 0; colour < 3; colour++) {
        for (int c = 0; c < channels; c++) {
          weights[c][colour] = (float) solution[c][colour];
        }
        bias[colour] = (float) solution[channels][colour];
      }
      return new LatentPreview(weights, bias);
    }
  }

  /** Solves {@code a * x = b} by Gaussian elimination with partial pivoting (a is tiny). */
  private static double[][] solve(double[][] a, double[][] b) {
    int n = a.length;
    int m = b[0].length;
    for (int col = 0; col < n; col++) {
      int pivot = col;
      for (int row = col + 1; row < n; row++) {
        if (Math.abs(a[row][col]) > Math.abs(a[pivot][col])) {
          pivot = row;
        }
      }
      if (Math.abs(a[pivot][col]) < 1e-12) {
        throw new IllegalArgumentException(
            "the latents do not determine a projection (a channel is constant); use more samples");
      }
      double[] rowA = a[col];
      a[col] = a[pivot];
      a[pivot] = rowA;
      double[] rowB = b[col];
      b[col] = b[pivot];
      b[pivot] = rowB;
      for (int row = 0; row < n; row++) {
        if (row == col) {
          continue;
        }
        double factor = a[row][col] / a[col][col];
        for (int k = col; k < n; k++) {
          a[row][k] -= factor * a[col][k];
        }
        for (int k = 0; k < m; k++) {
          b[row][k] -= factor * b[col][k];
        }
      }
    }
    double[][] x = new double[n][m];
    for (int row = 0; row < n; row++) {
      for (int k = 0; k < m; k++) {
        x[row][k] = b[row][k] / a[row][row];
      }
    }
    return x;
  }
}
