package t2i.pipeline.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The models a service can serve, found under one directory: either that directory is itself a
 * model, or each of its subdirectories with a {@code model_index.json} is one, named after the
 * subdirectory. Immutable; scanned once at start-up.
 */
public final class ModelRegistry {

  private final SortedMap<String, ModelDirectory> models;
  private final ModelDirectory defaultModel;

  private ModelRegistry(SortedMap<String, ModelDirectory> models, ModelDirectory defaultModel) {
    this.models = models;
    this.defaultModel = defaultModel;
  }

  /**
   * Finds the models under a directory and picks the default one.
   *
   * @throws IOException if the directory is missing, holds no model, holds an incomplete model, or
   *     the configured default is not among them; the message says what to change
   */
  public static ModelRegistry scan(Path dir, Optional<String> defaultName) throws IOException {
    Path root = dir.toAbsolutePath().normalize();
    if (!Files.isDirectory(root)) {
      throw new IOException(
          "Model directory "
              + root
              + " does not exist: set t2i.models.dir (env T2I_MODELS_DIR) to a directory of"
              + " optimum Stable Diffusion ONNX exports");
    }
    TreeMap<String, ModelDirectory> models = new TreeMap<>();
    if (Files.isRegularFile(root.resolve("model_index.json"))) {
      String name = root.getFileName().toString();
      models.put(name, ModelDirectory.open(name, root));
    } else {
      try (Stream<Path> children = Files.list(root)) {
        for (Path child : children.sorted().toList()) {
          if (Files.isRegularFile(child.resolve("model_index.json"))) {
            String name = child.getFileName().toString();
            models.put(name, ModelDirectory.open(name, child));
          }
        }
      }
    }
    if (models.isEmpty()) {
      throw new IOException(
          "No model found in "
              + root
              + ": each model is a directory with a model_index.json (an optimum Stable Diffusion"
              + " ONNX export); set t2i.models.dir to the directory that holds them");
    }
    ModelDirectory defaultModel;
    if (defaultName.isPresent() && !defaultName.get().isBlank()) {
      defaultModel = models.get(defaultName.get());
      if (defaultModel == null) {
        throw new IOException(
            "Default model '"
                + defaultName.get()
                + "' (t2i.models.default-model) is not in "
                + root
                + "; available: "
                + models.keySet());
      }
    } else {
      defaultModel = models.firstEntry().getValue();
    }
    return new ModelRegistry(models, defaultModel);
  }

  /** The named model; a blank name means the default model. */
  public Optional<ModelDirectory> find(String name) {
    if (name == null || name.isBlank()) {
      return Optional.of(defaultModel);
    }
    return Optional.ofNullable(models.get(name));
  }

  public ModelDirectory defaultModel() {
    return defaultModel;
  }

  public List<String> names() {
    return Collections.unmodifiableList(List.copyOf(models.keySet()));
  }

  public List<ModelDirectory> all() {
    return List.copyOf(models.values());
  }
}
