package t2i.pipeline.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One model on disk, in the layout Hugging Face optimum exports for Stable Diffusion:
 *
 * <pre>
 * model_index.json
 * tokenizer/vocab.json, tokenizer/merges.txt
 * text_encoder/model.onnx
 * unet/model.onnx
 * vae_decoder/model.onnx
 * scheduler/scheduler_config.json
 * </pre>
 *
 * <p>Optional {@code config.json} files in the component folders supply the default image size
 * ({@code unet/config.json: sample_size}) and the latent scaling ({@code vae_decoder/config.json:
 * scaling_factor}); SD 1.x values apply when they are absent. Immutable.
 */
public final class ModelDirectory {

  /** Latent pixels per image pixel along each side, the same for every SD-family VAE. */
  public static final int VAE_SCALE = 8;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> REQUIRED =
      List.of(
          "model_index.json",
          "tokenizer/vocab.json",
          "tokenizer/merges.txt",
          "text_encoder/model.onnx",
          "unet/model.onnx",
          "vae_decoder/model.onnx",
          "scheduler/scheduler_config.json");

  private final String name;
  private final Path root;
  private final int defaultImageSize;
  private final double vaeScalingFactor;

  private ModelDirectory(String name, Path root, int defaultImageSize, double vaeScalingFactor) {
    this.name = name;
    this.root = root;
    this.defaultImageSize = defaultImageSize;
    this.vaeScalingFactor = vaeScalingFactor;
  }

  /** Opens and checks a model directory; the message of a failure lists every missing file. */
  public static ModelDirectory open(String name, Path root) throws IOException {
    List<String> missing = new ArrayList<>();
    for (String file : REQUIRED) {
      if (!Files.isRegularFile(root.resolve(file))) {
        missing.add(file);
      }
    }
    if (!missing.isEmpty()) {
      throw new IOException(
          "Model '"
              + name
              + "' at "
              + root.toAbsolutePath()
              + " is incomplete, missing "
              + missing
              + ". A model directory must have the layout of an optimum Stable Diffusion ONNX"
              + " export.");
    }
    JsonNode unet = readOptional(root.resolve("unet/config.json"));
    JsonNode vae = readOptional(root.resolve("vae_decoder/config.json"));
    int sampleSize = unet.path("sample_size").asInt(64);
    double scaling = vae.path("scaling_factor").asDouble(0.18215);
    if (sampleSize <= 0 || !(scaling > 0)) {
      throw new IOException(
          "Model '"
              + name
              + "': sample_size and scaling_factor must be positive in its config.json");
    }
    return new ModelDirectory(name, root, sampleSize * VAE_SCALE, scaling);
  }

  private static JsonNode readOptional(Path json) throws IOException {
    if (!Files.isRegularFile(json)) {
      return JSON.createObjectNode();
    }
    try {
      return JSON.readTree(json.toFile());
    } catch (IOException e) {
      throw new IOException("Cannot parse " + json + ": " + e.getMessage(), e);
    }
  }

  public String name() {
    return name;
  }

  public Path root() {
    return root;
  }

  public Path tokenizerDir() {
    return root.resolve("tokenizer");
  }

  public Path textEncoder() {
    return root.resolve("text_encoder/model.onnx");
  }

  public Path unet() {
    return root.resolve("unet/model.onnx");
  }

  public Path vaeDecoder() {
    return root.resolve("vae_decoder/model.onnx");
  }

  public Path schedulerConfig() {
    return root.resolve("scheduler/scheduler_config.json");
  }

  /** Width and height in pixels when a request leaves them unset. */
  public int defaultImageSize() {
    return defaultImageSize;
  }

  /** Latents are divided by this before the VAE decoder, as SD pipelines do. */
  public double vaeScalingFactor() {
    return vaeScalingFactor;
  }

  @Override
  public String toString() {
    return name + " (" + root + ")";
  }
}
