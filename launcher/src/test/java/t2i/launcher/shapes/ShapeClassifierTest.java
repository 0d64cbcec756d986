package t2i.launcher.shapes;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Polygon;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import t2i.launcher.shapes.ShapeClassifier.Reading;

/** The classifier reads back drawings made with the domain's own geometry. */
class ShapeClassifierTest {

  private static ShapesDomain domain;
  private static ShapeClassifier classifier;

  @BeforeAll
  static void load() throws IOException {
    domain = ShapesDomain.load(Path.of(System.getProperty("repo.root"), "models", "shapes"));
    classifier = new ShapeClassifier(domain);
  }

  /** Draws one shape of side {@code size} centred in its ninth. */
  private static BufferedImage draw(
      String color, String shape, String where, String background, int size) {
    BufferedImage image = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    int[] bg = Objects.requireNonNull(domain.backgrounds().get(background), background);
    g.setColor(new Color(bg[0], bg[1], bg[2]));
    g.fillRect(0, 0, 64, 64);
    int[] fg = Objects.requireNonNull(domain.colors().get(color), color);
    g.setColor(new Color(fg[0], fg[1], fg[2]));
    int[] ninth = Objects.requireNonNull(domain.ninths().get(where), where);
    double cell = 64 / 3.0;
    int cx = (int) Math.round((ninth[1] + 0.5) * cell);
    int cy = (int) Math.round((ninth[0] + 0.5) * cell);
    int half = size / 2;
    switch (shape) {
      case "circle" -> g.fillOval(cx - half, cy - half, size, size);
      case "square" -> g.fillRect(cx - half, cy - half, size, size);
      default ->
          g.fillPolygon(
              new Polygon(
                  new int[] {cx, cx + half, cx - half},
                  new int[] {cy - half, cy + half, cy + half},
                  3));
    }
    g.dispose();
    return image;
  }

  @Test
  void everyShapeColourPositionAndBackground_isReadBack() {
    for (String shape : domain.shapes()) {
      for (String where : domain.ninths().keySet()) {
        for (String background : domain.backgrounds().keySet()) {
          for (String color : domain.colors().keySet()) {
            Reading reading = classifier.read(draw(color, shape, where, background, 14));

            assertThat(reading)
                .as("%s %s %s on %s", color, shape, where, background)
                .isEqualTo(new Reading(color, shape, where, background, reading.fill()));
          }
        }
      }
    }
  }

  @Test
  void fillRatios_areNearTheirNominalValues() {
    assertThat(classifier.read(draw("red", "square", "in the center", "white", 16)).fill())
        .isGreaterThan(0.95);
    assertThat(classifier.read(draw("red", "circle", "in the center", "white", 16)).fill())
        .isBetween(0.7, 0.85);
    assertThat(classifier.read(draw("red", "triangle", "in the center", "white", 16)).fill())
        .isBetween(0.45, 0.62);
  }

  @Test
  void emptyImage_showsOnlyItsBackground() {
    BufferedImage blank = draw("red", "square", "in the center", "gray", 0);

    Reading reading = classifier.read(blank);

    assertThat(reading.background()).isEqualTo("gray");
    assertThat(reading.shape()).isNull();
    assertThat(reading.color()).isNull();
  }

  @Test
  void evaluationSet_coversEveryValueOfEveryAttribute() {
    var subjects = domain.evaluationSet();

    assertThat(subjects).hasSize(54);
    assertThat(subjects)
        .extracting(ShapesDomain.Subject::color)
        .containsAll(domain.colors().keySet());
    assertThat(subjects)
        .extracting(ShapesDomain.Subject::where)
        .containsAll(domain.ninths().keySet());
    assertThat(subjects)
        .extracting(ShapesDomain.Subject::background)
        .containsAll(domain.backgrounds().keySet());
    assertThat(subjects).extracting(ShapesDomain.Subject::shape).containsAll(domain.shapes());
    assertThat(subjects.getFirst().prompt())
        .isEqualTo("a red circle at the top left on a white background");
  }
}
