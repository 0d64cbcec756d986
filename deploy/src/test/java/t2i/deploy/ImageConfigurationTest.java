package t2i.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The container images the build makes with {@code -Pimages} and {@code -Pimages-gpu} (Jib, no
 * Docker daemon). Base images cannot be pulled here, so what is checked is the configuration the
 * build hands Jib: name, base, user, JVM flags, ports, and that no model is packaged.
 */
class ImageConfigurationTest {

  private static final Path ROOT = Path.of(System.getProperty("repo.root"));

  /** A service's image settings: the profile's properties, with the parent's filled in. */
  private static Map<String, String> imageProperties(String module, String profile)
      throws Exception {
    Map<String, String> parent = properties(document(ROOT.resolve("pom.xml")).getDocumentElement());
    Element found = null;
    NodeList profiles =
        document(ROOT.resolve(module).resolve("pom.xml")).getElementsByTagName("profile");
    for (int i = 0; i < profiles.getLength(); i++) {
      Element candidate = (Element) profiles.item(i);
      if (profile.equals(text(candidate, "id"))) {
        found = candidate;
      }
    }
    assertThat(found).as("%s has a profile %s", module, profile).isNotNull();
    Map<String, String> own = properties(found);
    Map<String, String> resolved = new HashMap<>();
    own.forEach(
        (key, value) -> {
          String v = value;
          for (var p : parent.entrySet()) {
            v = v.replace("${" + p.getKey() + "}", p.getValue());
          }
          resolved.put(key, v);
        });
    return resolved;
  }

  private static Document document(Path pom) throws Exception {
    return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
  }

  private static Map<String, String> properties(Element owner) {
    Map<String, String> properties = new HashMap<>();
    for (Node child = owner.getFirstChild(); child != null; child = child.getNextSibling()) {
      if (child instanceof Element e && e.getTagName().equals("properties")) {
        for (Node p = e.getFirstChild(); p != null; p = p.getNextSibling()) {
          if (p instanceof Element property) {
            properties.put(property.getTagName(), property.getTextContent().trim());
          }
        }
      }
    }
    return properties;
  }

  private static @Nullable String text(Element element, String tag) {
    NodeList nodes = element.getElementsByTagName(tag);
    return nodes.getLength() == 0 ? null : nodes.item(0).getTextContent().trim();
  }

  private static String setting(Map<String, String> image, String key) {
    String value = image.get(key);
    assertThat(value).as(key).isNotNull();
    return Objects.requireNonNull(value);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"gateway", "tokenizer-service", "encoder-worker", "diffusion-worker", "notifier"})
  void eachServiceImage_runsAsANonRootUser_sizesItsHeapFromTheContainer_andExposesItsPorts(
      String module) throws Exception {
    Map<String, String> image = imageProperties(module, "images");
    ServiceSettings service = ServiceSettings.of(module);

    assertThat(image).containsEntry("quarkus.container-image.name", "t2i-" + module);
    assertThat(image).containsEntry("quarkus.container-image.build", "true");
    assertThat(Integer.parseInt(image.get("quarkus.jib.user"))).isPositive();
    assertThat(image.get("quarkus.jib.base-jvm-image")).contains(":").doesNotEndWith(":latest");
    assertThat(List.of(setting(image, "quarkus.jib.jvm-additional-arguments").split(",", -1)))
        .anyMatch(a -> a.startsWith("-XX:MaxRAMPercentage="))
        .contains("-XX:+ExitOnOutOfMemoryError");
    List<String> ports = List.of(setting(image, "quarkus.jib.ports").split(",", -1));
    assertThat(ports).contains(service.placeholderDefault("T2I_MANAGEMENT_PORT"));
    if (module.equals("gateway")) {
      assertThat(ports)
          .contains(
              service.placeholderDefault("T2I_GRPC_PORT"),
              service.placeholderDefault("T2I_HTTP_PORT"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"encoder-worker", "diffusion-worker"})
  void gpuWorkers_haveAVariantOnTheCudaAndTensorRtBase(String module) throws Exception {
    Map<String, String> gpu = imageProperties(module, "images-gpu");
    Map<String, String> cpu = imageProperties(module, "images");

    assertThat(gpu).containsEntry("quarkus.container-image.name", "t2i-" + module + "-gpu");
    assertThat(gpu.get("quarkus.jib.base-jvm-image"))
        .isNotEqualTo(cpu.get("quarkus.jib.base-jvm-image"))
        .contains("cuda");
    assertThat(gpu.get("quarkus.jib.user")).isEqualTo(cpu.get("quarkus.jib.user"));
    // The GPU image carries ONNX Runtime's GPU build, never both builds.
    assertThat(gpu).containsEntry("t2i.onnxruntime.artifact", "onnxruntime_gpu");
    assertThat(imageProperties(module, "gpu"))
        .containsEntry("t2i.onnxruntime.artifact", "onnxruntime_gpu");
    assertThat(Files.readString(ROOT.resolve("deploy/images/gpu-base/Containerfile")))
        .contains("USER 185")
        .contains("libnvinfer");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"gateway", "tokenizer-service", "encoder-worker", "diffusion-worker", "notifier"})
  void noModelIsPackaged_theyAreMountedAtRunTime(String module) throws Exception {
    Path resources = ROOT.resolve(module).resolve("src/main/resources");
    try (Stream<Path> files = Files.walk(resources)) {
      assertThat(files.map(Path::toString))
          .noneMatch(f -> f.endsWith(".onnx") || f.endsWith(".trt") || f.contains("models"));
    }
  }
}
