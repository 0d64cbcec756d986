package t2i.diffusion.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The latent-to-RGB projection of previews: its fit, its pixels and its file. */
class LatentPreviewTest {

  private static final float[][] WEIGHTS = {
    {0.30f, 0.19f, 0.21f}, {0.19f, 0.29f, 0.17f}, {-0.16f, 0.19f, 0.26f}, {-0.18f, -0.27f, -0.47f}
  };
  private static final float[] BIAS = {0.1f, -0.2f, 0.05f};

  @Test
  void fit_recoversTheLinearMapBehindLatentsAndTheirColours() {
    int samples = 3;
    int plane = 16;
    Random random = new Random(1);
    float[] latents = new float[samples * 4 * plane];
    for (int k = 0; k < latents.length; k++) {
      latents[k] = (float) random.nextGaussian();
    }
    float[] colours = new float[samples * 3 * plane];
    for (int s = 0; s < samples; s++) {
      for (int p = 0; p < plane; p++) {
        for (int colour = 0; colour < 3; colour++) {
          float v = BIAS[colour];
          for (int c = 0; c < 4; c++) {
            v += WEIGHTS[c][colour] * latents[(s * 4 + c) * plane + p];
          }
          colours[(s * 3 + colour) * plane + p] = v;
        }
      }
    }

    LatentPreview fitted = LatentPreview.fit(latents, colours, samples, 4, plane);

    for (int colour = 0; colour < 3; colour++) {
      assertThat(fitted.bias(colour)).isCloseTo(BIAS[colour], within(1e-4f));
      for (int c = 0; c < 4; c++) {
        assertThat(fitted.weight(c, colour)).isCloseTo(WEIGHTS[c][colour], within(1e-4f));
      }
    }
  }

  @Test
  void fit_refusesLatentsThatCannotDetermineAProjection() {
    float[] flat = new float[4 * 4];
    assertThatThrownBy(() -> LatentPreview.fit(flat, new float[3 * 4], 1, 4, 4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("more samples");
  }

  @Test
  void rgb_mapsEachLatentPixelToOneClampedColour() {
    LatentPreview preview =
        new LatentPreview(new float[][] {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0, 0, 0}}, new float[3]);
    // Two pixels, planar: channel 0 = [1, -1], channel 1 = [0, 5], channel 2 = [-5, 0].
    float[] latent = {1, -1, 0, 5, -5, 0, 0, 0};

    byte[] rgb = preview.rgb(latent, 1, 2);

    assertThat(rgb).containsExactly((byte) 255, (byte) 128, 0, 0, (byte) 255, (byte) 128);
  }

  @Test
  void rgb_refusesALatentOfAnotherShape() {
    LatentPreview preview = new LatentPreview(WEIGHTS, BIAS);
    assertThatThrownBy(() -> preview.rgb(new float[10], 2, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("2x2 latent of 4 channels has 16");
  }

  @Test
  void theStoredFile_readsBackAsTheSameProjection(@TempDir Path model) throws IOException {
    LatentPreview preview = new LatentPreview(WEIGHTS, BIAS);
    Files.writeString(model.resolve(LatentPreview.FILE), preview.toJson());

    LatentPreview read = LatentPreview.read(model).orElseThrow();

    assertThat(read.toJson()).isEqualTo(preview.toJson());
    assertThat(LatentPreview.read(model.resolve("elsewhere"))).isEmpty();
  }

  @Test
  void aMalformedFile_isRefusedNamingIt(@TempDir Path model) throws IOException {
    Path file = model.resolve(LatentPreview.FILE);
    Files.writeString(file, "{\"weights\": [[1, 2]], \"bias\": [0, 0, 0]}");

    assertThatThrownBy(() -> LatentPreview.read(model))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("needs 3 (r, g, b)");
  }

  @Test
  void everyCommittedModel_hasAStoredProjectionOfFourChannels() throws IOException {
    Path models = Path.of(System.getProperty("repo.root"), "models");
    for (String name : new String[] {"tiny-random", "shapes"}) {
      assertThat(LatentPreview.read(models.resolve(name)))
          .as(name)
          .hasValueSatisfying(p -> assertThat(p.channels()).isEqualTo(4));
    }
  }
}
