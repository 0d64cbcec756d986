package t2i.launcher.shapes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The "shapes" domain of the demo model, as its {@code domain.json} defines it: the palettes, the
 * shapes, where each position phrase puts a shape (a ninth of the image), and the classifier's
 * thresholds. Immutable.
 */
public record ShapesDomain(
    int imageSize,
    Map<String, int[]> colors,
    Map<String, int[]> backgrounds,
    List<String> shapes,
    Map<String, int[]> ninths,
    int border,
    double segmentDistance,
    double fillSquareMin,
    double fillCircleMin) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Reads {@code domain.json} from a model directory. */
  public static ShapesDomain load(Path modelDir) throws IOException {
    Path file = modelDir.resolve("domain.json");
    if (!Files.isRegularFile(file)) {
      throw new IOException(
          file + " is missing: only the shapes demo model has a domain to evaluate against");
    }
    JsonNode root = JSON.readTree(file.toFile());
    JsonNode classifier = root.path("classifier");
    List<String> shapes = new ArrayList<>();
    root.path("shapes").forEach(s -> shapes.add(s.asText()));
    return new ShapesDomain(
        root.path("image_size").asInt(64),
        triples(root.path("colors_rgb")),
        triples(root.path("backgrounds_rgb")),
        List.copyOf(shapes),
        triples(root.path("where_to_ninth_row_col")),
        classifier.path("border_px").asInt(2),
        classifier.path("segment_distance_rgb").asDouble(),
        classifier.path("fill_square_min").asDouble(),
        classifier.path("fill_circle_min").asDouble());
  }

  private static Map<String, int[]> triples(JsonNode object) {
    Map<String, int[]> map = new LinkedHashMap<>();
    object
        .properties()
        .forEach(
            e -> {
              int[] values = new int[e.getValue().size()];
              for (int i = 0; i < values.length; i++) {
                values[i] = e.getValue().get(i).asInt();
              }
              map.put(e.getKey(), values);
            });
    return Collections.unmodifiableMap(map);
  }

  /** The caption of one combination, exactly as the model was trained on. */
  public static String caption(String color, String shape, String where, String background) {
    return "a " + color + " " + shape + " " + where + " on a " + background + " background";
  }

  /**
   * The fixed evaluation set: 54 prompts covering every value of every attribute (each shape and
   * position pair twice, each colour 9 times, each background 18 times), in the domain's order.
   */
  public List<Subject> evaluationSet() {
    List<String> colorOrder = List.copyOf(colors.keySet());
    List<String> whereOrder = List.copyOf(ninths.keySet());
    List<String> backgroundOrder = List.copyOf(backgrounds.keySet());
    List<Subject> subjects = new ArrayList<>();
    for (int i = 0; i < 54; i++) {
      subjects.add(
          new Subject(
              colorOrder.get((i % 6 + i / 18) % 6),
              shapes.get((i / 9) % 3),
              whereOrder.get(i % 9),
              backgroundOrder.get((i / 3 + i / 27) % 3)));
    }
    return subjects;
  }

  /** What one image should show. */
  public record Subject(String color, String shape, String where, String background) {
    public String prompt() {
      return caption(color, shape, where, background);
    }
  }
}
