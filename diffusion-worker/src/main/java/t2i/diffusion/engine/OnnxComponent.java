package t2i.diffusion.engine;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Path;
import t2i.pipeline.model.OnnxSignature;

/**
 * One ONNX model of a pipeline (UNet, VAE decoder) loaded in the configured engine, with its
 * declared signature. Not thread-safe: it holds a single predictor, and the diffusion loop drives
 * each component from one thread. Owns the model and the predictor.
 */
final class OnnxComponent implements AutoCloseable {

  private final Path file;
  private final OnnxSignature signature;
  private final Model model;
  private final Predictor<NDList, NDList> predictor;

  private OnnxComponent(
      Path file, OnnxSignature signature, Model model, Predictor<NDList, NDList> predictor) {
    this.file = file;
    this.signature = signature;
    this.model = model;
    this.predictor = predictor;
  }

  static OnnxComponent load(Path file, String name, EngineSettings engine) throws IOException {
    OnnxSignature signature = OnnxSignature.read(file);
    Model model = Model.newInstance(name, engine.device(), engine.engine());
    try {
      model.load(file, null, engine.options());
      return new OnnxComponent(file, signature, model, model.newPredictor(new NoopTranslator()));
    } catch (MalformedModelException | RuntimeException e) {
      model.close();
      throw new IOException("Cannot load " + file + " with " + engine.engine() + ": " + e, e);
    }
  }

  Path file() {
    return file;
  }

  OnnxSignature signature() {
    return signature;
  }

  /** A manager for one call's tensors; closing it frees inputs and outputs. */
  NDManager newCallManager() {
    return model.getNDManager().newSubManager();
  }

  NDList run(NDList inputs) {
    try {
      return predictor.predict(inputs);
    } catch (TranslateException e) {
      throw new IllegalStateException(file + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    try {
      predictor.close();
    } finally {
      model.close();
    }
  }
}
