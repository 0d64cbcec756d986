package t2i.pipeline.config;

import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.nio.file.Path;
import java.util.Optional;

/** Where the models are. A configuration group: services nest it under {@code t2i.models}. */
public interface ModelSettings {

  /**
   * A directory of model directories (each named after the model), or one model directory. A model
   * directory has the layout of Hugging Face optimum's Stable Diffusion ONNX export.
   */
  @WithDefault("models")
  Path dir();

  /** The model used when a request names none; the only model, or the first by name, if unset. */
  Optional<String> defaultModel();

  /**
   * Most text-encoder windows (75 tokens each for CLIP) one prompt or negative prompt may use. The
   * gateway refuses longer prompts; the text encoder runs once per window.
   */
  @WithDefault("8")
  @Min(1)
  @Max(64)
  int maxPromptChunks();
}
