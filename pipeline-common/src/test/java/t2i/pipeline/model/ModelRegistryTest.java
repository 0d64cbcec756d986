package t2i.pipeline.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import t2i.pipeline.TestModels;

class ModelRegistryTest {

  @Test
  void scan_directoryOfModels_namesEachModelAfterItsDirectory() throws IOException {
    ModelRegistry registry =
        ModelRegistry.scan(TestModels.root().resolve("models"), Optional.empty());

    assertThat(registry.names()).contains("tiny-random");
    assertThat(registry.find("tiny-random")).isPresent();
  }

  @Test
  void scan_aModelDirectoryItself_servesThatModel() throws IOException {
    ModelRegistry registry = ModelRegistry.scan(TestModels.tinyRandom(), Optional.empty());

    assertThat(registry.names()).containsExactly("tiny-random");
    assertThat(registry.defaultModel().name()).isEqualTo("tiny-random");
  }

  @Test
  void find_blankName_isTheDefaultModel() throws IOException {
    ModelRegistry registry = ModelRegistry.scan(TestModels.tinyRandom(), Optional.empty());

    assertThat(registry.find("")).contains(registry.defaultModel());
    assertThat(registry.find("no-such-model")).isEmpty();
  }

  @Test
  void modelDirectory_readsDefaultSizeAndScalingFromComponentConfigs() throws IOException {
    ModelDirectory model = ModelDirectory.open("tiny-random", TestModels.tinyRandom());

    assertThat(model.defaultImageSize()).isEqualTo(64);
    assertThat(model.vaeScalingFactor()).isEqualTo(0.18215);
  }

  @Test
  void scan_missingDirectory_saysWhichSettingToChange(@TempDir Path dir) {
    assertThatThrownBy(() -> ModelRegistry.scan(dir.resolve("nowhere"), Optional.empty()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("t2i.models.dir");
  }

  @Test
  void scan_directoryWithoutModels_saysWhatAModelIs(@TempDir Path dir) {
    assertThatThrownBy(() -> ModelRegistry.scan(dir, Optional.empty()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("No model found")
        .hasMessageContaining("model_index.json");
  }

  @Test
  void scan_incompleteModel_listsEveryMissingFile(@TempDir Path dir) throws IOException {
    Path model = Files.createDirectories(dir.resolve("broken"));
    Files.writeString(model.resolve("model_index.json"), "{}");
    Files.createDirectories(model.resolve("unet"));
    Files.writeString(model.resolve("unet/model.onnx"), "");

    assertThatThrownBy(() -> ModelRegistry.scan(dir, Optional.empty()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("'broken'")
        .hasMessageContaining("text_encoder/model.onnx")
        .hasMessageContaining("vae_decoder/model.onnx")
        .hasMessageNotContaining("unet/model.onnx");
  }

  @Test
  void scan_unknownDefaultModel_listsTheAvailableOnes() {
    assertThatThrownBy(
            () -> ModelRegistry.scan(TestModels.root().resolve("models"), Optional.of("sd-99")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("'sd-99'")
        .hasMessageContaining("tiny-random");
  }
}
