package t2i.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.StreamSupport;

/**
 * The chart rendered by Helm's own library ({@code helm template}), as the list of objects it would
 * create, with lookups the tests need.
 */
final class RenderedChart {

  static final Path CHART = Path.of(System.getProperty("repo.root"), "deploy", "helm", "t2i");
  static final Path TEST_VALUES = CHART.resolve("ci/test-values.yaml");
  static final String RELEASE = "t2i";

  private static final YAMLMapper YAML = new YAMLMapper();

  private final List<JsonNode> objects;

  private RenderedChart(List<JsonNode> objects) {
    this.objects = List.copyOf(objects);
  }

  /** Renders with the test values and {@code sets} ({@code helm template --set}). */
  static RenderedChart render(Map<String, Object> sets) {
    TemplateCommand template =
        new Helm(CHART)
            .template()
            .withName(RELEASE)
            .withNamespace("serving")
            .withValuesFile(TEST_VALUES);
    sets.forEach(template::set);
    return parse(template.call());
  }

  static RenderedChart parse(String yaml) {
    List<JsonNode> objects = new ArrayList<>();
    try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(yaml)) {
      while (docs.hasNext()) {
        JsonNode doc = docs.next();
        if (doc != null && !doc.isNull() && !doc.isEmpty()) {
          objects.add(doc);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("the chart rendered YAML that does not parse", e);
    }
    return new RenderedChart(objects);
  }

  List<JsonNode> objects() {
    return objects;
  }

  List<JsonNode> ofKind(String kind) {
    return objects.stream().filter(o -> kind.equals(o.path("kind").asText())).toList();
  }

  Optional<JsonNode> find(String kind, String name) {
    return ofKind(kind).stream()
        .filter(o -> name.equals(o.path("metadata").path("name").asText()))
        .findFirst();
  }

  JsonNode get(String kind, String name) {
    return find(kind, name)
        .orElseThrow(() -> new AssertionError("the chart renders no " + kind + " " + name));
  }

  /** The one container of a Deployment. */
  static JsonNode container(JsonNode deployment) {
    return deployment.path("spec").path("template").path("spec").path("containers").get(0);
  }

  /** A container's environment variable: its literal value, or empty if set from elsewhere. */
  static Optional<String> env(JsonNode container, String name) {
    return StreamSupport.stream(container.path("env").spliterator(), false)
        .filter(e -> name.equals(e.path("name").asText()))
        .findFirst()
        .map(e -> e.path("value").asText(""));
  }

  static List<String> envNames(JsonNode container) {
    return StreamSupport.stream(container.path("env").spliterator(), false)
        .map(e -> e.path("name").asText())
        .toList();
  }

  /** A container's port by name. */
  static int port(JsonNode container, String name) {
    return StreamSupport.stream(container.path("ports").spliterator(), false)
        .filter(p -> name.equals(p.path("name").asText()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no port named " + name))
        .path("containerPort")
        .asInt();
  }

  /** The settings file every service reads, from the ConfigMap. */
  Properties serviceSettings() {
    Properties properties = new Properties();
    try {
      properties.load(
          new StringReader(
              get("ConfigMap", RELEASE + "-config")
                  .path("data")
                  .path("application.properties")
                  .asText()));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return properties;
  }
}
