package t2i.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;
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
    return properties(
        get("ConfigMap", RELEASE + "-config").path("data").path("application.properties").asText());
  }

  /** The settings files a container reads, in order: its QUARKUS_CONFIG_LOCATIONS. */
  static List<String> configLocations(JsonNode container) {
    return env(container, "QUARKUS_CONFIG_LOCATIONS")
        .filter(locations -> !locations.isEmpty())
        .map(locations -> List.of(locations.split(",", -1)))
        .orElse(List.of());
  }

  /**
   * The settings files a Deployment's service reads, by path: each from the ConfigMap or Secret
   * mounted where it lies. A file from a Secret the chart does not create (an operator's existing
   * one) is left out; a file on no mounted volume, or missing from the chart's ConfigMap or Secret,
   * fails.
   */
  Map<String, Properties> configFiles(JsonNode deployment) {
    JsonNode pod = deployment.path("spec").path("template").path("spec");
    JsonNode container = container(deployment);
    Map<String, Properties> files = new LinkedHashMap<>();
    for (String location : configLocations(container)) {
      JsonNode mount =
          elements(container.path("volumeMounts"))
              .filter(m -> location.startsWith(m.path("mountPath").asText() + "/"))
              .findFirst()
              .orElseThrow(() -> new AssertionError(location + " is on no volume the pod mounts"));
      String file = location.substring(mount.path("mountPath").asText().length() + 1);
      JsonNode volume =
          elements(pod.path("volumes"))
              .filter(v -> v.path("name").asText().equals(mount.path("name").asText()))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no volume " + mount.path("name")));
      if (volume.has("configMap")) {
        String name = volume.path("configMap").path("name").asText();
        JsonNode text = get("ConfigMap", name).path("data").path(file);
        if (!text.isTextual()) {
          throw new AssertionError("ConfigMap " + name + " has no " + file + " for " + location);
        }
        files.put(location, properties(text.asText()));
      } else if (volume.has("secret")) {
        String name = volume.path("secret").path("secretName").asText();
        Optional<JsonNode> found = find("Secret", name);
        if (found.isEmpty()) {
          continue; // an existing Secret, not the chart's
        }
        JsonNode secret = found.orElseThrow();
        JsonNode text = secret.path("stringData").path(file);
        JsonNode encoded = secret.path("data").path(file);
        if (text.isTextual()) {
          files.put(location, properties(text.asText()));
        } else if (encoded.isTextual()) {
          files.put(
              location,
              properties(
                  new String(
                      Base64.getDecoder().decode(encoded.asText()), StandardCharsets.UTF_8)));
        } else {
          throw new AssertionError("Secret " + name + " has no " + file + " for " + location);
        }
      } else {
        throw new AssertionError(location + " is on neither a ConfigMap nor a Secret: " + volume);
      }
    }
    return files;
  }

  static Stream<JsonNode> elements(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false);
  }

  private static Properties properties(String text) {
    Properties properties = new Properties();
    try {
      properties.load(new StringReader(text));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return properties;
  }
}
